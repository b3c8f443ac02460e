fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let certificates = std::path::Path::new("/etc/ssl/certs/ca-certificates.crt").exists();
    println!("relay {} args {:?} CA bundle {}", env!("CARGO_PKG_VERSION"), args, certificates);
}
