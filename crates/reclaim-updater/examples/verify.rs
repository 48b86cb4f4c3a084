//! `cargo run -p reclaim-updater --example verify -- PUBKEY_FILE PACKAGE SIG_FILE`: checks a
//! package and its `.sig` (as `tauri build` / `tauri signer sign` write them) exactly as the root
//! installer (`reclaim-update-install`) does before installing an update (the kiosk's own check,
//! tauri-plugin-updater's, reads the same format). Exit 0 and `verified`, or exit 1 and why not.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [pubkey, package, sig] = args.as_slice() else {
        eprintln!("usage: verify PUBKEY_FILE PACKAGE SIG_FILE");
        return ExitCode::from(2);
    };
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
    let result = (|| {
        let key =
            reclaim_updater::UpdateKey::from_tauri_pubkey(&String::from_utf8_lossy(&read(pubkey)?))
                .map_err(|e| e.to_string())?;
        key.verify(&read(package)?, &String::from_utf8_lossy(&read(sig)?))
            .map_err(|e| e.to_string())
    })();
    match result {
        Ok(()) => {
            println!("verified");
            ExitCode::SUCCESS
        }
        Err(error) => {
            println!("refused: {error}");
            ExitCode::FAILURE
        }
    }
}
