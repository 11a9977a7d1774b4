fn main() {
    println!("wasm-rum-collector: placeholder");
}
