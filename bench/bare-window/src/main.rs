//! A bare Tauri 2 window: the baseline the kiosk's start-up time and memory are compared with
//! (bench/startup_memory.py).

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the bare window could not start");
}
