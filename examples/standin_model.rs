//! Writes a stand-in model (published architecture, seeded random weights) for benchmarks and trying the tool
//! on machines without the released weights: `cargo run --release --example standin_model -- [--narrow] DIR`.

#[path = "../tests/suite/support/standin.rs"]
mod standin;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let narrow = args.iter().any(|a| a == "--narrow");
    let Some(dir) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: standin_model [--narrow] DIR");
        std::process::exit(2);
    };
    let width = if narrow {
        standin::Width::Narrow
    } else {
        standin::Width::Full
    };
    let (prototxt, caffemodel) = standin::write(std::path::Path::new(dir), width);
    println!("{}\n{}", prototxt.display(), caffemodel.display());
}
