//! Property-based fuzzing of what colorize parses itself: `.npy` points files, caffemodel wire format, and times.
//!
//! Stable Rust has no libFuzzer (cargo-fuzz needs nightly), so these are proptest properties: cheap enough by
//! default to run with every `cargo test`, and a fuzzing campaign when given many cases: `scripts/fuzz 200000`
//! (each property alone, timed), or `PROPTEST_CASES=200000 cargo test --release --test suite fuzz::`.
//! Each property starts from valid input where it can, because random bytes rarely get past a magic number.

use colorize::model::caffe::{bake_fixed_layers, fixed_layers, BlobProto, LayerParameter, NetParameter, SOFTMAX_SCALE};
use colorize::model::points::{parse_npy, CENTRES};
use colorize::position::Position;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use prost::encoding::{encode_key, encode_varint, WireType};
use prost::Message;

use crate::support;

// ---------------------------------------------------------------------------------------------------------------
// Byte mutations shared by both formats.

/// One edit of a byte string. Positions are `Index`es so that they stay in range however the length changes.
#[derive(Clone, Debug)]
enum Mutation {
    FlipBit(Index, u8),
    Set(Index, u8),
    Insert(Index, Vec<u8>),
    Delete(Index, usize),
    Truncate(Index),
}

/// Bytes a mutation writes: arbitrary ones, and the ones both parsers branch on (quotes, brackets, digits,
/// protobuf continuation bits and wire types) so that edits reach past the first check more often.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        any::<u8>(),
        select(b"'\"(),:{} \n\t0123789<>ifTrueFalse".to_vec()),
        select(vec![0x00, 0x01, 0x02, 0x05, 0x07, 0x08, 0x0a, 0x7f, 0x80, 0xa2, 0xff]),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(i, bit)| Mutation::FlipBit(i, bit)),
        (any::<Index>(), interesting_byte()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<Index>(), prop::collection::vec(interesting_byte(), 1..6)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<Index>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<Index>().prop_map(Mutation::Truncate),
    ]
}

/// Applies `edits` to `bytes`, each at a position within the first `window` bytes of the bytes as they are then.
fn mutate(mut bytes: Vec<u8>, edits: &[Mutation], window: usize) -> Vec<u8> {
    for edit in edits {
        let span = bytes.len().min(window);
        match edit {
            Mutation::FlipBit(i, bit) if span > 0 => bytes[i.index(span)] ^= 1 << bit,
            Mutation::Set(i, b) if span > 0 => bytes[i.index(span)] = *b,
            Mutation::Insert(i, b) => {
                let at = i.index(span + 1);
                bytes.splice(at..at, b.iter().copied());
            }
            Mutation::Delete(i, n) if span > 0 => {
                let at = i.index(span);
                bytes.drain(at..(at + n).min(bytes.len()));
            }
            Mutation::Truncate(i) => bytes.truncate(i.index(bytes.len() + 1)),
            _ => {}
        }
    }
    bytes
}

/// Where edits land: mostly in the first bytes (headers, keys, lengths), sometimes anywhere.
fn window() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(160usize), 1 => Just(usize::MAX)]
}

// ---------------------------------------------------------------------------------------------------------------
// .npy points files.

const DTYPES: [&str; 4] = ["<i8", "<i4", "<f8", "<f4"];

/// The header dict as numpy writes it, padded so that the data starts on an `align`-byte boundary: 16 in the
/// numpy that wrote pts_in_hull.npy, 64 since numpy 1.14.
fn numpy_header(descr: &str, fortran: bool, align: usize) -> String {
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': (313, 2), }}",
        if fortran { "True" } else { "False" }
    );
    while (10 + header.len() + 1) % align != 0 {
        header.push(' ');
    }
    header.push('\n');
    header
}

/// The centres' bytes as `descr`, in C (row by row) or Fortran (column by column) order.
fn centres_data(descr: &str, fortran: bool) -> Vec<u8> {
    let values: Vec<f32> = if fortran {
        (0..2).flat_map(|c| CENTRES.iter().map(move |p| p[c])).collect()
    } else {
        CENTRES.iter().flatten().copied().collect()
    };
    values
        .iter()
        .flat_map(|&v| match descr {
            "<i8" => (v as i64).to_le_bytes().to_vec(),
            "<i4" => (v as i32).to_le_bytes().to_vec(),
            "<f8" => f64::from(v).to_le_bytes().to_vec(),
            "<f4" => v.to_le_bytes().to_vec(),
            _ => unreachable!("not one of DTYPES"),
        })
        .collect()
}

/// A whole .npy file: magic, version, header length (2 bytes in version 1, 4 after), header, data.
fn npy_file(version: u8, header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = b"\x93NUMPY".to_vec();
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// The published pts_in_hull.npy, byte for byte: the centres as int64, version 1, C order.
fn published_npy() -> Vec<u8> {
    npy_file(1, &numpy_header("<i8", false, 16), &centres_data("<i8", false))
}

/// A valid file in any of the dtypes, orders and versions the parser supports.
fn valid_npy() -> impl Strategy<Value = (u8, String, Vec<u8>)> {
    let layout = (1u8..=3, select(DTYPES.to_vec()), any::<bool>(), select(vec![16, 64]));
    layout.prop_map(|(version, descr, fortran, align)| {
        let header = numpy_header(descr, fortran, align);
        (version, header, centres_data(descr, fortran))
    })
}

/// The property every accepted file must have: each value could be an a/b coordinate.
fn assert_plausible(centres: &[[f32; 2]; 313]) -> Result<(), TestCaseError> {
    for (row, p) in centres.iter().enumerate() {
        for v in p {
            prop_assert!(v.is_finite() && v.abs() <= 128.0, "accepted value {} at row {}", v, row);
        }
    }
    Ok(())
}

/// A header dict that numpy (or a hand-written tool) could have produced: any key order, any spacing around
/// the separators, with or without the trailing comma, padded with any number of spaces.
fn header_variant(descr: &'static str, fortran: bool) -> impl Strategy<Value = String> {
    let space = || select(vec!["", " ", "  ", "\t", " \t "]);
    (
        Just([0usize, 1, 2]).prop_shuffle(),
        prop::collection::vec(space(), 12),
        select(vec!["(313, 2)", "(313,2)", "( 313 , 2 )", "(313,\t2)"]),
        any::<bool>(),
        0usize..200,
        any::<bool>(),
    )
        .prop_map(move |(order, s, shape, trailing_comma, pad, newline)| {
            let entries = [
                format!("'descr'{}:{}'{descr}'", s[0], s[1]),
                format!(
                    "'fortran_order'{}:{}{}",
                    s[2],
                    s[3],
                    if fortran { "True" } else { "False" }
                ),
                format!("'shape'{}:{}{shape}", s[4], s[5]),
            ];
            let mut header = format!("{{{}", s[6]);
            for (n, &k) in order.iter().enumerate() {
                if n > 0 {
                    header.push_str(&format!("{},{}", s[7], s[8]));
                }
                header.push_str(&entries[k]);
            }
            if trailing_comma {
                header.push_str(&format!("{},", s[9]));
            }
            header.push_str(&format!("{}}}", s[10]));
            header.push_str(&" ".repeat(pad));
            if newline {
                header.push('\n');
            }
            header
        })
}

proptest! {
    /// Arbitrary bytes, with and without a NUMPY magic and version in front, are refused or read, never a panic.
    #[test]
    fn npy_arbitrary_bytes_never_panic(
        prefix in select(vec![&b""[..], b"\x93NUMPY", b"\x93NUMPY\x01\x00", b"\x93NUMPY\x02\x00", b"\x93NUMPY\x03\x00"]),
        tail in prop::collection::vec(any::<u8>(), 0..3000),
    ) {
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(&tail);
        if let Ok(centres) = parse_npy(&bytes) {
            assert_plausible(&centres)?;
        }
    }

    /// Edits anywhere in a valid file (header length, header text, data) never panic, and whatever is still
    /// accepted holds only values that could be a/b coordinates.
    #[test]
    fn npy_mutations_never_panic_and_accept_only_ab_values(
        (version, header, data) in valid_npy(),
        edits in prop::collection::vec(mutation(), 1..8),
        window in window(),
    ) {
        let bytes = mutate(npy_file(version, &header, &data), &edits, window);
        if let Ok(centres) = parse_npy(&bytes) {
            assert_plausible(&centres)?;
        }
    }

    /// Edits to the header text alone, with its length field kept right, reach the dict parsing every time.
    #[test]
    fn npy_header_mutations_never_panic_and_accept_only_ab_values(
        (version, header, data) in valid_npy(),
        edits in prop::collection::vec(mutation(), 1..8),
    ) {
        let header = mutate(header.into_bytes(), &edits, usize::MAX);
        let mut bytes = b"\x93NUMPY".to_vec();
        bytes.extend_from_slice(&[version, 0]);
        if version == 1 {
            bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        bytes.extend_from_slice(&header);
        bytes.extend_from_slice(&data);
        if let Ok(centres) = parse_npy(&bytes) {
            assert_plausible(&centres)?;
        }
    }

    /// Any value written in the data, including NaN, infinities and extremes, is read back exactly or refused.
    #[test]
    fn npy_data_values_are_read_exactly_or_refused(
        version in 1u8..=3,
        descr in select(DTYPES.to_vec()),
        row in 0usize..313,
        col in 0usize..2,
        raw in any::<[u8; 8]>(),
    ) {
        let mut data = centres_data(descr, false);
        let size = if descr.ends_with('8') { 8 } else { 4 };
        let at = (row * 2 + col) * size;
        data[at..at + size].copy_from_slice(&raw[..size]);
        let value = match descr {
            "<i8" => i64::from_le_bytes(raw) as f64,
            "<i4" => f64::from(i32::from_le_bytes(raw[..4].try_into().unwrap())),
            "<f8" => f64::from_le_bytes(raw),
            _ => f64::from(f32::from_le_bytes(raw[..4].try_into().unwrap())),
        };
        let parsed = parse_npy(&npy_file(version, &numpy_header(descr, false, 64), &data));
        if value.is_finite() && value.abs() <= 128.0 {
            let mut expected = CENTRES;
            expected[row][col] = value as f32;
            prop_assert_eq!(parsed.unwrap(), expected);
        } else {
            prop_assert!(parsed.is_err(), "accepted {} at row {}", value, row);
        }
    }

    /// A valid file with any header layout numpy's dict syntax allows reads back as exactly the centres.
    #[test]
    fn npy_header_variants_round_trip(
        version in 1u8..=3,
        (descr, fortran, header) in (select(DTYPES.to_vec()), any::<bool>())
            .prop_flat_map(|(d, f)| (Just(d), Just(f), header_variant(d, f))),
    ) {
        let bytes = npy_file(version, &header, &centres_data(descr, fortran));
        prop_assert_eq!(parse_npy(&bytes).unwrap(), CENTRES);
    }
}

#[test]
fn the_seed_npy_is_the_published_file() {
    assert_eq!(parse_npy(&published_npy()).unwrap(), CENTRES);
    let Some(path) = support::shared_path("model/pts_in_hull.npy", "the_seed_npy_is_the_published_file") else {
        return;
    };
    let published = std::fs::read(&path).unwrap();
    let seed = published_npy();
    let first_difference = published.iter().zip(&seed).position(|(a, b)| a != b);
    assert!(
        published == seed,
        "the fuzzing seed differs from {} ({} vs {} bytes, first difference at {:?})",
        path.display(),
        seed.len(),
        published.len(),
        first_difference
    );
}

/// Every cut of every supported layout is refused: the data length is fixed, so no prefix can be whole.
#[test]
fn npy_every_truncation_is_refused() {
    for version in 1..=3 {
        for descr in DTYPES {
            for fortran in [false, true] {
                let bytes = npy_file(
                    version,
                    &numpy_header(descr, fortran, 64),
                    &centres_data(descr, fortran),
                );
                for cut in 0..bytes.len() {
                    assert!(
                        parse_npy(&bytes[..cut]).is_err(),
                        "v{version} {descr} fortran={fortran}: accepted the first {cut} of {} bytes",
                        bytes.len()
                    );
                }
                let mut longer = bytes.clone();
                longer.push(0);
                assert!(parse_npy(&longer).is_err(), "accepted a trailing byte");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// caffemodel wire format.

/// One top-level field of a NetParameter: those colorize knows, and others as a newer Caffe would write them.
#[derive(Clone, Debug)]
enum TopField {
    Name(String),
    Layer(LayerParameter),
    Varint(u32, u64),
    Fixed32(u32, u32),
    Fixed64(u32, u64),
    Bytes(u32, Vec<u8>),
}

impl TopField {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            TopField::Name(name) => NetParameter {
                name: Some(name.clone()),
                layer: vec![],
            }
            .encode(&mut out)
            .unwrap(),
            TopField::Layer(layer) => NetParameter {
                name: None,
                layer: vec![layer.clone()],
            }
            .encode(&mut out)
            .unwrap(),
            TopField::Varint(tag, v) => {
                encode_key(*tag, WireType::Varint, &mut out);
                encode_varint(*v, &mut out);
            }
            TopField::Fixed32(tag, v) => {
                encode_key(*tag, WireType::ThirtyTwoBit, &mut out);
                out.extend_from_slice(&v.to_le_bytes());
            }
            TopField::Fixed64(tag, v) => {
                encode_key(*tag, WireType::SixtyFourBit, &mut out);
                out.extend_from_slice(&v.to_le_bytes());
            }
            TopField::Bytes(tag, b) => {
                encode_key(*tag, WireType::LengthDelimited, &mut out);
                encode_varint(b.len() as u64, &mut out);
                out.extend_from_slice(b);
            }
        }
        out
    }
}

/// A field number NetParameter leaves to others: not 1 (name), 2 (V1 layers) or 100 (layer).
fn unknown_tag() -> impl Strategy<Value = u32> {
    prop_oneof![3u32..100, 101u32..2000, Just((1 << 29) - 1)]
}

fn layer() -> impl Strategy<Value = LayerParameter> {
    let blob = prop::collection::vec(-4.0f32..4.0, 0..6).prop_map(|data| BlobProto::new(&[data.len() as i64], data));
    (
        "[a-z0-9_]{0,12}",
        select(vec!["Convolution", "ReLU", "BatchNorm", "Scale", ""]),
        prop::collection::vec(blob, 0..3),
    )
        .prop_map(|(name, kind, blobs)| LayerParameter::new(&name, kind, blobs))
}

fn top_field() -> impl Strategy<Value = TopField> {
    prop_oneof![
        1 => "[a-zA-Z0-9_]{0,10}".prop_map(TopField::Name),
        3 => layer().prop_map(TopField::Layer),
        1 => (unknown_tag(), any::<u64>()).prop_map(|(t, v)| TopField::Varint(t, v)),
        1 => (unknown_tag(), any::<u32>()).prop_map(|(t, v)| TopField::Fixed32(t, v)),
        1 => (unknown_tag(), any::<u64>()).prop_map(|(t, v)| TopField::Fixed64(t, v)),
        1 => (unknown_tag(), prop::collection::vec(any::<u8>(), 0..20)).prop_map(|(t, b)| TopField::Bytes(t, b)),
    ]
}

/// A valid model: top-level fields in any order with at least one layer among them.
fn model() -> impl Strategy<Value = Vec<TopField>> {
    (prop::collection::vec(top_field(), 0..8), layer(), any::<Index>()).prop_map(|(mut fields, layer, at)| {
        let at = at.index(fields.len() + 1);
        fields.insert(at, TopField::Layer(layer));
        fields
    })
}

fn layers_of(fields: &[TopField]) -> Vec<LayerParameter> {
    fields
        .iter()
        .filter_map(|f| match f {
            TopField::Layer(l) => Some(l.clone()),
            _ => None,
        })
        .collect()
}

/// The baked model must be the input unchanged followed by exactly the two fixed layers.
fn assert_baked_from(input: &[u8], baked: &[u8]) -> Result<(), TestCaseError> {
    prop_assert!(baked.starts_with(input), "the input was changed");
    let tail = NetParameter::decode(&baked[input.len()..]).unwrap();
    prop_assert_eq!(tail.layer, fixed_layers(&CENTRES, SOFTMAX_SCALE));
    Ok(())
}

proptest! {
    /// Arbitrary bytes, as a download of the wrong file or a damaged one, are refused or baked, never a panic.
    #[test]
    fn caffe_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        if let Ok(baked) = bake_fixed_layers(bytes.clone(), &CENTRES, SOFTMAX_SCALE) {
            assert_baked_from(&bytes, &baked)?;
        }
    }

    /// Every valid model is baked, and OpenCV's reading of it (prost's here) sees its layers, then the fixed two.
    #[test]
    fn caffe_valid_models_are_baked(fields in model()) {
        let bytes: Vec<u8> = fields.iter().flat_map(TopField::encode).collect();
        let baked = bake_fixed_layers(bytes.clone(), &CENTRES, SOFTMAX_SCALE).unwrap();
        assert_baked_from(&bytes, &baked)?;
        let mut expected = layers_of(&fields);
        expected.extend(fixed_layers(&CENTRES, SOFTMAX_SCALE));
        prop_assert_eq!(NetParameter::decode(baked.as_slice()).unwrap().layer, expected);
    }

    /// Edits to a valid model never panic, and what is accepted is baked without touching the input.
    #[test]
    fn caffe_mutations_never_panic(
        fields in model(),
        edits in prop::collection::vec(mutation(), 1..8),
        window in window(),
    ) {
        let bytes: Vec<u8> = fields.iter().flat_map(TopField::encode).collect();
        let bytes = mutate(bytes, &edits, window);
        if let Ok(baked) = bake_fixed_layers(bytes.clone(), &CENTRES, SOFTMAX_SCALE) {
            assert_baked_from(&bytes, &baked)?;
        }
    }

    /// A cut inside any top-level record is refused. A cut between records leaves a shorter valid model, which
    /// the wire format cannot tell from a whole one: it is baked if a layer came before the cut, refused if not.
    #[test]
    fn caffe_truncation_inside_a_record_is_refused(fields in model()) {
        let mut bytes = Vec::new();
        let mut boundaries = vec![(0usize, 0usize)];
        for f in &fields {
            bytes.extend(f.encode());
            let layers = boundaries.last().unwrap().1 + usize::from(matches!(f, TopField::Layer(_)));
            boundaries.push((bytes.len(), layers));
        }
        for cut in 0..bytes.len() {
            let whole_with_a_layer = boundaries.iter().any(|&(at, layers)| at == cut && layers > 0);
            let result = bake_fixed_layers(bytes[..cut].to_vec(), &CENTRES, SOFTMAX_SCALE);
            prop_assert_eq!(
                result.is_ok(),
                whole_with_a_layer,
                "cut at {} of {}: {:?}",
                cut,
                bytes.len(),
                result.err()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// --start / --end positions.

/// What every accepted position must satisfy: a time is a finite, non-negative number of seconds.
fn assert_position_sane(s: &str, p: Position) -> Result<(), TestCaseError> {
    if let Position::Seconds(secs) = p {
        prop_assert!(secs.is_finite() && secs >= 0.0, "'{}' gave {} s", s, secs);
        if s.contains(':') {
            for part in s.split(':') {
                let v: f64 = part.parse().unwrap();
                prop_assert!(v >= 0.0, "'{}' has a negative part {}", s, part);
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn position_arbitrary_strings_never_panic(s in any::<String>()) {
        if let Ok(p) = s.parse::<Position>() {
            assert_position_sane(&s, p)?;
        }
    }

    /// Times built from the pieces a time is written with (signs, exponents, inf, nan, empty parts between
    /// colons) reach every branch of the parser, which random characters rarely do.
    #[test]
    fn position_time_like_strings_are_sane(
        parts in prop::collection::vec("[+-]?([0-9]{0,3}(\\.[0-9]{0,2})?([eE][+-]?[0-9]{1,3})?|inf|nan|NaN|infinity)", 1..5),
        suffix in select(vec!["", "s", " "]),
    ) {
        let s = format!("{}{suffix}", parts.join(":"));
        if let Ok(p) = s.parse::<Position>() {
            assert_position_sane(&s, p)?;
        }
    }

    /// Times as people write them read back as the seconds they mean.
    #[test]
    fn position_written_times_round_trip(h in 0u32..100, m in 0u32..60, s in 0u32..60, tenths in 0u32..10, frame in any::<usize>()) {
        let seconds = f64::from(h * 3600 + m * 60 + s) + f64::from(tenths) / 10.0;
        let clock: Position = format!("{h}:{m:02}:{s:02}.{tenths}").parse().unwrap();
        let Position::Seconds(got) = clock else { panic!("{clock:?} is not a time") };
        prop_assert!((got - seconds).abs() < 1e-9, "{} vs {}", got, seconds);
        prop_assert_eq!(format!("{seconds}s").parse::<Position>(), Ok(Position::Seconds(seconds)));
        prop_assert_eq!(frame.to_string().parse::<Position>(), Ok(Position::Frame(frame)));
    }
}

/// Found by position_time_like_strings_are_sane: `1:-30` was read as 30 seconds, `10:-1` as 599.
#[test]
fn regression_negative_clock_part_was_subtracted() {
    for s in ["1:-30", "10:-1", "-1:90", "0:1:-0.5", "1:-1e1"] {
        assert!(s.parse::<Position>().is_err(), "accepted {s}");
    }
    assert_eq!("1:30".parse(), Ok(Position::Seconds(90.0)));
}
