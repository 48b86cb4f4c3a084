//! The recovery service's session API, as the kiosk sees it (`/v1/...`, HTTP JSON + server-sent
//! events). The kiosk is a terminal and the service decides: what crosses this boundary is the
//! view model the UI renders, the person's commands, `{ code, message }` errors, and the
//! station's signed assertion. Nothing here can reach the directory, a TAP or a presentation.
//!
//! * [`view`], [`qr`] — the view model (mirrored in TypeScript, `ui/src/lib/ipc/bindings.ts`).
//! * [`api`] — paths and bodies of the session API.
//! * [`station`] — the station's key pair and its short-lived signed assertion.
//! * [`client`] — the kiosk's client of the session API.

pub mod api;
pub mod client;
pub mod qr;
pub mod station;
pub mod view;

pub use qr::QrView;
pub use view::{
    CameraStatus, CaptureAdvice, CaptureStage, DocumentKind, ErrorCode, ErrorView, ExistingChoice,
    FrameQuality, Locale, PhotoQuality, PreflightProblem, PreviewFrame, ProviderCard, QrCache,
    Reason, ScanPath, Shot, StaffHelp, StationMode, StationView, Step, TapView, View, ViewContext,
    ViewUpdate, typescript_bindings,
};
