//! The network as the recipe loads it: the fixed layers must be injected, and baking them in equals set_blobs.

use colorize::lab;
use colorize::lab::Recipe;
use colorize::model::{caffe, points, CaffeFiles, Engine, Model, ModelFiles, Pick, Precision, Predicts};
use opencv::core::{Mat, Size, Vec2f, Vector};
use opencv::dnn;
use opencv::prelude::*;

use crate::support::standin::{self, Width};
use crate::support::{self, gray_picture};

fn gradient(rows: i32, cols: i32) -> Mat {
    gray_picture(Size::new(cols, rows), |x, y| (x * 255 / cols.max(1) + y * 7 % 40) as u8)
}

#[test]
fn without_the_fixed_layers_the_forward_pass_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (proto, weights) = standin::write(dir.path(), Width::Narrow);
    let mut net = dnn::read_net_from_caffe(proto.to_str().unwrap(), weights.to_str().unwrap()).unwrap();
    let input = lab::prepare(&gradient(32, 32), Recipe::Eccv16, 224).unwrap().input;
    net.set_input_def(&input).unwrap();
    assert!(net.forward_single("class8_ab").is_err());
}

/// The recipe's injection: set the blobs on the loaded layers.
fn recipe_net(proto: &std::path::Path, weights: &std::path::Path) -> dnn::Net {
    let net = dnn::read_net_from_caffe(proto.to_str().unwrap(), weights.to_str().unwrap()).unwrap();
    for layer in caffe::fixed_layers(&points::CENTRES, caffe::SOFTMAX_SCALE) {
        let blob = &layer.blobs[0];
        let dims: Vec<i32> = blob.shape.as_ref().unwrap().dim.iter().map(|&d| d as i32).collect();
        let mut mat = Mat::new_nd_with_default(&dims, opencv::core::CV_32F, 0.0.into()).unwrap();
        mat.data_typed_mut::<f32>().unwrap().copy_from_slice(&blob.data);
        let id = net.get_layer_id(layer.name.as_deref().unwrap()).unwrap();
        net.get_layer(id).unwrap().set_blobs(Vector::from_iter([mat]));
    }
    net
}

#[test]
fn baked_layers_give_the_recipe_output_shape_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let (proto, weights) = standin::write(dir.path(), Width::Narrow);
    let input = lab::prepare(&gradient(40, 60), Recipe::Eccv16, 224).unwrap().input;

    let mut recipe = recipe_net(&proto, &weights);
    recipe.set_input_def(&input).unwrap();
    let expected = recipe.forward_single("class8_ab").unwrap();
    assert_eq!(&*expected.mat_size(), &[1, 2, 56, 56]);

    let model = Model::load(
        &ModelFiles::Eccv16(CaffeFiles::locate(dir.path(), None, None, None)),
        Engine::OpenCv,
        caffe::TEMPERATURE,
    )
    .unwrap();
    let ab = model.colorizer().unwrap().predict(&input).unwrap();
    assert_eq!((ab.rows(), ab.cols(), ab.channels()), (56, 56, 2));
    let want = lab::ab_from_blob(&expected).unwrap().remove(0);
    let (got, want) = (
        ab.data_typed::<opencv::core::Vec2f>().unwrap(),
        want.data_typed::<opencv::core::Vec2f>().unwrap(),
    );
    assert_eq!(got, want, "baked blobs must give exactly the set_blobs output");
    // A stand-in that predicted one colour everywhere would make every pixel comparison meaningless.
    let spread = got.iter().map(|p| p[0]).fold(f32::MIN, f32::max) - got.iter().map(|p| p[0]).fold(f32::MAX, f32::min);
    assert!(spread > 5.0, "a varies by only {spread} across the frame");
}

#[test]
fn full_size_stand_in_has_the_published_architecture() {
    let test = "full_size_stand_in_has_the_published_architecture";
    let Some(published) = support::shared_path("model/colorization_deploy_v2.prototxt", test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_, weights) = standin::write(dir.path(), Width::Full);
    let size = std::fs::metadata(&weights).unwrap().len();
    assert!(size.abs_diff(128_946_764) < 64 * 1024, "stand-in is {size} bytes");
    // The published prototxt with our weights: OpenCV matches blobs to layers by name and checks every shape.
    let files = ModelFiles::Eccv16(CaffeFiles::locate(dir.path(), Some(published), None, None));
    let input = lab::prepare(&gradient(24, 24), Recipe::Eccv16, 224).unwrap().input;
    let ab = Model::load(&files, Engine::OpenCv, caffe::TEMPERATURE)
        .unwrap()
        .colorizer()
        .unwrap()
        .predict(&input)
        .unwrap();
    assert_eq!((ab.rows(), ab.cols()), (56, 56));
    // The int8 network cut from the published prototxt (comments, nested blocks, both quotes): its trunk
    // quantizes, its head reads the trunk's blob.
    let int8 = Model::load_for(
        &files,
        Pick::Engine(Engine::OpenCv),
        Precision::Int8,
        caffe::TEMPERATURE,
        Predicts::Colour,
    );
    let ab = int8.unwrap().colorizer().unwrap().predict(&input).unwrap();
    assert_eq!((ab.rows(), ab.cols()), (56, 56));
}

#[test]
fn openvino_runs_the_baked_model_close_to_opencv() {
    if !colorize::model::Available::here().openvino {
        support::cannot_run(
            "openvino_runs_the_baked_model_close_to_opencv",
            "this OpenCV has no OpenVINO backend (CI builds it with one: scripts/build-opencv)",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    standin::write(dir.path(), Width::Narrow);
    let files = ModelFiles::Eccv16(CaffeFiles::locate(dir.path(), None, None, None));
    let input = lab::prepare(&gradient(40, 60), Recipe::Eccv16, 224).unwrap().input;
    let predict = |engine| {
        Model::load(&files, engine, caffe::TEMPERATURE)
            .unwrap()
            .colorizer()
            .unwrap()
            .predict(&input)
            .unwrap()
    };
    let (reference, fast) = (predict(Engine::OpenCv), predict(Engine::OpenVino));
    let (reference, fast) = (
        reference.data_typed::<Vec2f>().unwrap(),
        fast.data_typed::<Vec2f>().unwrap(),
    );
    let mean_diff: f32 = reference
        .iter()
        .zip(fast)
        .map(|(r, f)| (r[0] - f[0]).abs() + (r[1] - f[1]).abs())
        .sum::<f32>()
        / (2 * reference.len()) as f32;
    // Same network, other arithmetic (OpenVINO may compute in bfloat16): close, not equal.
    assert!(mean_diff < 1.0, "a/b differ by {mean_diff} on average");
}

#[test]
fn a_batch_predicts_what_its_frames_predict_one_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    standin::write(dir.path(), Width::Narrow);
    let files = ModelFiles::Eccv16(CaffeFiles::locate(dir.path(), None, None, None));
    let inputs: Vec<Mat> = [(40, 60), (64, 32), (30, 30)]
        .iter()
        .map(|&(rows, cols)| lab::prepare(&gradient(rows, cols), Recipe::Eccv16, 224).unwrap().input)
        .collect();
    let here = colorize::model::Available::here();
    let mut engines = vec![Engine::OpenCv];
    if here.openvino {
        engines.push(Engine::OpenVino);
    }
    for engine in engines {
        // What each backend promises: OpenCV's own float32 does a frame's arithmetic alike in a batch but may sum
        // in another order (1e-3); OpenVINO on a bfloat16 CPU computes in bfloat16, whose 8 significant bits hold
        // an a/b of up to 110 to within 0.43, and a batch changes which sums are rounded where (0.06 seen on a
        // 2-core EPYC with avx512_bf16), so there half an 8-bit level is the promise.
        let tolerance = if engine == Engine::OpenVino && here.bf16 {
            0.5
        } else {
            1e-3
        };
        let mut net = Model::load(&files, engine, caffe::TEMPERATURE)
            .unwrap()
            .colorizer()
            .unwrap();
        let batch = net.predict_batch(&inputs.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(batch.len(), inputs.len());
        let mut spread = 0.0f32;
        for (input, batched) in inputs.iter().zip(&batch) {
            let alone = net.predict(input).unwrap();
            let (alone, batched) = (
                alone.data_typed::<Vec2f>().unwrap(),
                batched.data_typed::<Vec2f>().unwrap(),
            );
            let worst = alone
                .iter()
                .zip(batched)
                .map(|(a, b)| (a[0] - b[0]).abs().max((a[1] - b[1]).abs()))
                .fold(0.0f32, f32::max);
            assert!(
                worst < tolerance,
                "{engine:?}: a frame's a/b moved by {worst} in a batch"
            );
            let first = batch[0].data_typed::<Vec2f>().unwrap();
            let apart = alone
                .iter()
                .zip(first)
                .map(|(a, b)| (a[0] - b[0]).abs().max((a[1] - b[1]).abs()))
                .fold(0.0f32, f32::max);
            spread = spread.max(apart);
        }
        // The three gradients differ, so a batch that handed every frame the first one's colour would fail above
        // unless the network coloured them alike, to within the tolerance: make sure it does not.
        assert!(
            spread > 4.0 * tolerance,
            "{engine:?}: the test's frames all get the same colour ({spread})"
        );
    }
}

/// `--precision int8`: the trunk quantized, the head in float32. On each CPU backend it colours as the float
/// network does to within what 8-bit steps promise, and a batch as its frames one at a time; the uncertainty comes
/// from the float head as before.
#[test]
fn the_int8_network_colours_near_the_float_one_and_batches_as_single_frames() {
    let dir = tempfile::tempdir().unwrap();
    standin::write(dir.path(), Width::Narrow);
    let files = ModelFiles::Eccv16(CaffeFiles::locate(dir.path(), None, None, None));
    let inputs: Vec<Mat> = [(40, 60), (64, 32)]
        .iter()
        .map(|&(rows, cols)| lab::prepare(&gradient(rows, cols), Recipe::Eccv16, 224).unwrap().input)
        .collect();
    let float = Model::load(&files, Engine::OpenCv, caffe::TEMPERATURE)
        .unwrap()
        .colorizer()
        .unwrap()
        .predict(&inputs[0])
        .unwrap();
    let here = colorize::model::Available::here();
    let mut engines = vec![Engine::OpenCv];
    if here.openvino {
        engines.push(Engine::OpenVino);
    }
    for engine in engines {
        let model = Model::load_for(
            &files,
            Pick::Engine(engine),
            Precision::Int8,
            caffe::TEMPERATURE,
            Predicts::ColourAndUncertainty,
        )
        .unwrap();
        assert_eq!(model.identity().precision, Precision::Int8);
        let mut net = model.colorizer().unwrap();
        let alone = net.predict(&inputs[0]).unwrap();
        let (mean, worst) = ab_difference(&float, &alone);
        eprintln!("{engine:?} int8 against float32: a/b differ by {mean:.3} on average, {worst:.2} at most");
        // Measured 0.36 and 4.2 on both backends with VNNI; OpenVINO's 16-bit sums without it (oneDNN capped
        // below VNNI) 1.04 and 11.3. OpenCV's own int8 sums in 32 bits on every CPU.
        let (mean_bound, worst_bound) = if engine == Engine::OpenVino && !here.vnni {
            (2.0, 20.0)
        } else {
            (1.0, 8.0)
        };
        assert!(
            mean < mean_bound && worst < worst_bound,
            "{engine:?}: {mean} on average, {worst} at most"
        );
        let batch = net.predict_batch_unsure(&inputs.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(batch.len(), 2);
        let (_, moved) = ab_difference(&alone, &batch[0].0);
        assert!(moved < 1e-3, "{engine:?}: a frame's a/b moved by {moved} in a batch");
        let (_, apart) = ab_difference(&alone, &batch[1].0);
        assert!(apart > 0.1, "{engine:?}: both frames got the same colour");
    }
}

/// Mean and greatest absolute difference of two a/b predictions.
fn ab_difference(a: &Mat, b: &Mat) -> (f32, f32) {
    let (a, b) = (a.data_typed::<Vec2f>().unwrap(), b.data_typed::<Vec2f>().unwrap());
    let diffs: Vec<f32> = a
        .iter()
        .zip(b)
        .flat_map(|(a, b)| [(a[0] - b[0]).abs(), (a[1] - b[1]).abs()])
        .collect();
    let mean = diffs.iter().sum::<f32>() / diffs.len() as f32;
    (mean, diffs.iter().copied().fold(0.0, f32::max))
}
