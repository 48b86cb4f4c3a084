//! Build script of the kiosk app: compiles the root tauri.conf.json, the capabilities in
//! src-tauri/capabilities/ and the bundled UI (ui/dist) into the binary.

fn main() {
    // The manifest (and so the build script's working directory) is the repository root, where
    // tauri.conf.json lives; only the capabilities need pointing at src-tauri/.
    let attributes =
        tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*");
    tauri_build::try_build(attributes).expect("tauri-build failed (see the message above)");
}
