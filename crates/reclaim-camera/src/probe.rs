//! `probe()`: which cameras this kiosk has. The kiosk shows the camera path only when a real
//! camera exists (or, in demo mode, with the synthetic one); `open_device` opens one.

use crate::error::CameraError;
use crate::source::{FRAME_HEIGHT, FRAME_RATE, FRAME_WIDTH, FrameSource, SourceInfo, SourceKind};

/// A real camera the backend found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Index to pass to [`open_device`].
    pub index: u32,
    /// The device's name (e.g. "HD Pro Webcam C920").
    pub name: String,
    /// The backend's description (e.g. the V4L2 device path).
    pub description: String,
}

/// What [`probe`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    /// The camera backend compiled in: `Some("Video4Linux")` etc. with the `nokhwa` feature,
    /// `None` without it.
    pub backend: Option<String>,
    /// Real cameras found (empty without a backend).
    pub devices: Vec<DeviceInfo>,
    /// Why listing devices failed, if it did (treated as no cameras).
    pub error: Option<String>,
}

impl ProbeReport {
    /// Whether a real camera exists: the kiosk hides its camera path in production when not.
    pub fn has_camera(&self) -> bool {
        !self.devices.is_empty()
    }

    /// Every source a kiosk could open: the real cameras, then the synthetic camera (demo mode
    /// and tests only).
    pub fn sources(&self) -> Vec<SourceInfo> {
        let mut out: Vec<SourceInfo> = self
            .devices
            .iter()
            .map(|d| SourceInfo {
                kind: SourceKind::Device { index: d.index },
                name: d.name.clone(),
                width: FRAME_WIDTH,
                height: FRAME_HEIGHT,
                fps: FRAME_RATE,
            })
            .collect();
        out.push(SourceInfo {
            kind: SourceKind::Synthetic,
            name: "Synthetic camera".to_owned(),
            width: FRAME_WIDTH,
            height: FRAME_HEIGHT,
            fps: FRAME_RATE,
        });
        out
    }
}

/// Lists the cameras. Never panics: a failing backend is reported in `error` as no cameras.
pub fn probe() -> ProbeReport {
    backend::probe()
}

/// The real camera at `index`, not opened yet. Without the `nokhwa` feature:
/// [`CameraError::BackendUnavailable`].
pub fn open_device(index: u32) -> Result<Box<dyn FrameSource>, CameraError> {
    backend::device(index)
}

#[cfg(feature = "nokhwa")]
mod backend {
    use super::{DeviceInfo, ProbeReport};
    use crate::device::DeviceCamera;
    use crate::error::CameraError;
    use crate::source::FrameSource;

    pub(super) fn probe() -> ProbeReport {
        let Some(api) = nokhwa::native_api_backend() else {
            return ProbeReport {
                backend: None,
                devices: Vec::new(),
                error: Some("no native camera backend on this platform".into()),
            };
        };
        let listed = std::panic::catch_unwind(|| nokhwa::query(api))
            .unwrap_or_else(|_| Err(nokhwa::NokhwaError::GeneralError("query panicked".into())));
        match listed {
            Ok(cameras) => ProbeReport {
                backend: Some(api.to_string()),
                devices: cameras
                    .iter()
                    .enumerate()
                    .map(|(i, c)| DeviceInfo {
                        index: c.index().as_index().unwrap_or(i as u32),
                        name: c.human_name(),
                        description: c.description().to_owned(),
                    })
                    .collect(),
                error: None,
            },
            Err(e) => ProbeReport {
                backend: Some(api.to_string()),
                devices: Vec::new(),
                error: Some(e.to_string()),
            },
        }
    }

    pub(super) fn device(index: u32) -> Result<Box<dyn FrameSource>, CameraError> {
        let found = probe();
        let name = found
            .devices
            .iter()
            .find(|d| d.index == index)
            .map(|d| d.name.clone())
            .ok_or(CameraError::NoSuchDevice(index))?;
        Ok(Box::new(DeviceCamera::new(index, name)))
    }
}

#[cfg(not(feature = "nokhwa"))]
mod backend {
    use super::ProbeReport;
    use crate::error::CameraError;
    use crate::source::FrameSource;

    pub(super) fn probe() -> ProbeReport {
        ProbeReport { backend: None, devices: Vec::new(), error: None }
    }

    pub(super) fn device(_index: u32) -> Result<Box<dyn FrameSource>, CameraError> {
        Err(CameraError::BackendUnavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_never_panics_and_always_offers_the_synthetic_source() {
        let report = probe();
        let sources = report.sources();
        assert_eq!(sources.last().map(|s| &s.kind), Some(&SourceKind::Synthetic));
        assert_eq!(sources.len(), report.devices.len() + 1);
        assert_eq!(report.has_camera(), !report.devices.is_empty());
    }

    #[cfg(not(feature = "nokhwa"))]
    #[test]
    fn without_a_backend_only_the_synthetic_source_exists() {
        let report = probe();
        assert_eq!(report, ProbeReport { backend: None, devices: Vec::new(), error: None });
        assert!(!report.has_camera());
        assert_eq!(report.sources().len(), 1);
        assert!(matches!(open_device(0), Err(CameraError::BackendUnavailable)));
    }
}
