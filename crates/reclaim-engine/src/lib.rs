//! Reclaim's engine: drives [`reclaim_core`]'s pure state machine through ports with real HTTP
//! adapters, and turns its screens into the view model the kiosk renders.

pub mod qr;
pub mod view;

pub use qr::QrView;
pub use view::{
    CaptureStage, DocumentKind, ErrorCode, ErrorView, PhotoQuality, PreflightProblem,
    PreviewFrame, ProviderCard, Reason, ScanPath, Shot, StationMode, StationView, Step, TapView,
    View, ViewContext, ViewUpdate, typescript_bindings,
};
