//! Compiles tauri.conf.json and the static page in dist/ into the binary.

fn main() {
    tauri_build::build();
}
