fn main() {
    println!("demo-api: placeholder");
}
