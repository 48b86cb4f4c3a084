//! Build script of the kiosk app: compiles the root tauri.conf.json, the capabilities in
//! src-tauri/capabilities/ and the bundled UI (ui/dist) into the binary.

fn main() {
    // The manifest (and so the build script's working directory) is the repository root, where
    // tauri.conf.json lives; only the capabilities need pointing at src-tauri/. With a custom
    // pattern tauri-build does not watch them itself, so a capability edit would otherwise not
    // reach the binary (relative to the package root).
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes =
        tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*");
    tauri_build::try_build(attributes).expect("tauri-build failed (see the message above)");
}
