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
    /// The kernel driver, when known (`uvcvideo`, `v4l2 loopback`, …; from sysfs on Linux).
    pub driver: Option<String>,
    /// Why this is a virtual camera (the marker found in its card or driver name, or
    /// `sysfs:virtual` for a device with no hardware behind it); `None` for a real camera.
    pub virtual_marker: Option<&'static str>,
}

/// Card and driver names of virtual cameras, lower case, matched as substrings: loopback devices
/// any program can feed (v4l2loopback, whose default card name is "Dummy video device", and the
/// programs built on it: OBS, DroidCam, Snap Camera, ManyCam, XSplit, Webcamoid/akvcam), and the
/// kernel's test drivers (vivid, vimc). A kiosk must film the person in front of it, not a
/// picture a program supplies.
pub const VIRTUAL_CAMERA_MARKERS: &[&str] = &[
    "v4l2loopback",
    "v4l2 loopback",
    "loopback",
    "dummy video device",
    "obs virtual",
    "obs-virtual",
    "virtual cam",
    "virtualcam",
    "akvcam",
    "webcamoid",
    "droidcam",
    "snap camera",
    "manycam",
    "xsplit",
    "vcam",
    "vivid",
    "vimc",
    "fake",
];

/// Whether a camera with this V4L2 card name and driver is virtual, and by which marker. A
/// device node under `/sys/devices/virtual/` (`sysfs_virtual`: no bus, no hardware) is virtual
/// whatever its names say.
pub fn virtual_marker(
    card: &str,
    driver: Option<&str>,
    sysfs_virtual: bool,
) -> Option<&'static str> {
    let card = card.to_lowercase();
    let driver = driver.unwrap_or_default().to_lowercase();
    VIRTUAL_CAMERA_MARKERS
        .iter()
        .copied()
        .find(|m| card.contains(m) || driver.contains(m))
        .or(sysfs_virtual.then_some("sysfs:virtual"))
}

/// What sysfs says of `/dev/video{index}` (Linux): its card name, its driver, and whether the
/// node is virtual (its real path lies under `/sys/devices/virtual/`). `None` when sysfs has no
/// such node.
pub fn sysfs_identity(index: u32) -> Option<(String, Option<String>, bool)> {
    sysfs_identity_in(std::path::Path::new("/sys/class/video4linux"), index)
}

fn sysfs_identity_in(root: &std::path::Path, index: u32) -> Option<(String, Option<String>, bool)> {
    let node = root.join(format!("video{index}"));
    let card = std::fs::read_to_string(node.join("name")).ok()?.trim().to_owned();
    let real = std::fs::canonicalize(&node).unwrap_or_else(|_| node.clone());
    let is_virtual = real.components().any(|c| c.as_os_str() == "virtual");
    let driver = std::fs::read_link(node.join("device").join("driver"))
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    Some((card, driver, is_virtual))
}

/// Which camera the kiosk uses: the first real one, or — with `allow_virtual` — the first of
/// any; and the virtual ones it refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraChoice {
    /// The camera to use, if any.
    pub device: Option<DeviceInfo>,
    /// Virtual cameras left out (empty when `allow_virtual`).
    pub refused: Vec<DeviceInfo>,
}

impl CameraChoice {
    /// No camera to use, but virtual ones were refused.
    pub fn refused_virtual(&self) -> bool {
        self.device.is_none() && !self.refused.is_empty()
    }
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

    /// The camera to use: the first real camera; virtual ones (see [`virtual_marker`]) only
    /// when `allow_virtual` (a test station filming through v4l2loopback, say).
    pub fn choose(&self, allow_virtual: bool) -> CameraChoice {
        let (real, virtual_ones): (Vec<_>, Vec<_>) =
            self.devices.iter().cloned().partition(|d| d.virtual_marker.is_none());
        if allow_virtual {
            CameraChoice { device: self.devices.first().cloned(), refused: Vec::new() }
        } else {
            CameraChoice { device: real.into_iter().next(), refused: virtual_ones }
        }
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
                    .map(|(i, c)| {
                        let index = c.index().as_index().unwrap_or(i as u32);
                        let name = c.human_name();
                        let (card, driver, sysfs_virtual) = super::sysfs_identity(index)
                            .unwrap_or_else(|| (name.clone(), None, false));
                        DeviceInfo {
                            index,
                            virtual_marker: super::virtual_marker(
                                &card,
                                driver.as_deref(),
                                sysfs_virtual,
                            ),
                            name,
                            description: c.description().to_owned(),
                            driver,
                        }
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

    fn device(index: u32, card: &str, driver: Option<&str>, sysfs_virtual: bool) -> DeviceInfo {
        DeviceInfo {
            index,
            name: card.to_owned(),
            description: format!("/dev/video{index}"),
            driver: driver.map(str::to_owned),
            virtual_marker: virtual_marker(card, driver, sysfs_virtual),
        }
    }

    #[test]
    fn virtual_cameras_are_recognised_by_card_driver_or_sysfs() {
        let virtual_ones = [
            ("Dummy video device (0x0000)", Some("v4l2 loopback"), true),
            ("Dummy video device (0x0000)", None, false),
            ("OBS Virtual Camera", Some("v4l2 loopback"), false),
            ("OBS Virtual Camera", None, false),
            ("Virtual Camera", Some("akvcam"), false),
            ("akvcam (out)", None, false),
            ("DroidCam", None, false),
            ("Snap Camera", None, false),
            ("ManyCam Virtual Webcam", None, false),
            ("XSplit VCam", None, false),
            ("vivid-000-vid-cap", Some("vivid"), false),
            ("Camera", Some("vimc"), false),
            ("Loopback video device 0", None, false),
            // A node with no hardware behind it, whatever it calls itself.
            ("HD Pro Webcam C920", None, true),
        ];
        for (card, driver, sysfs) in virtual_ones {
            assert!(virtual_marker(card, driver, sysfs).is_some(), "{card} / {driver:?}");
        }
        let real = [
            ("HD Pro Webcam C920", Some("uvcvideo")),
            ("Integrated Camera: Integrated C", Some("uvcvideo")),
            ("Logitech BRIO", Some("uvcvideo")),
            ("USB2.0 HD UVC WebCam: USB2.0 HD", None),
            ("Microsoft® LifeCam HD-3000: Mi", Some("uvcvideo")),
            ("mmal service 16.1", Some("bm2835 mmal")),
        ];
        for (card, driver) in real {
            assert_eq!(virtual_marker(card, driver, false), None, "{card} / {driver:?}");
        }
        assert_eq!(
            virtual_marker("Dummy video device (0x0000)", None, false),
            Some("dummy video device")
        );
        assert_eq!(virtual_marker("C920", Some("uvcvideo"), true), Some("sysfs:virtual"));
    }

    #[test]
    fn the_first_real_camera_is_chosen_and_virtual_ones_refused_unless_allowed() {
        let loopback = device(0, "Dummy video device (0x0000)", Some("v4l2 loopback"), true);
        let webcam = device(2, "HD Pro Webcam C920", Some("uvcvideo"), false);
        let report = |devices: Vec<DeviceInfo>| ProbeReport {
            backend: Some("Video4Linux".into()),
            devices,
            error: None,
        };
        let both = report(vec![loopback.clone(), webcam.clone()]);
        let choice = both.choose(false);
        assert_eq!(choice.device.as_ref(), Some(&webcam));
        assert_eq!(choice.refused, vec![loopback.clone()]);
        assert!(!choice.refused_virtual());

        let only_virtual = report(vec![loopback.clone()]);
        let choice = only_virtual.choose(false);
        assert_eq!(choice.device, None);
        assert!(choice.refused_virtual());
        let allowed = only_virtual.choose(true);
        assert_eq!(allowed.device, Some(loopback));
        assert!(allowed.refused.is_empty());

        let none = report(Vec::new()).choose(false);
        assert_eq!(none, CameraChoice { device: None, refused: Vec::new() });
        assert!(!none.refused_virtual());
    }

    #[test]
    fn sysfs_nodes_are_read_for_card_driver_and_virtual_path() {
        let root = std::env::temp_dir().join(format!("reclaim-v4l-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        // A loopback node: a directory under devices/virtual, linked from the class directory.
        let class = root.join("class");
        let virtual_dir = root.join("devices/virtual/video4linux/video0");
        std::fs::create_dir_all(&virtual_dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(&class).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(virtual_dir.join("name"), "Dummy video device (0x0000)\n")
            .unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(&virtual_dir, class.join("video0"))
            .unwrap_or_else(|e| panic!("{e}"));
        // A USB webcam: a driver link.
        let usb = root.join("devices/pci0000:00/usb1/1-1/1-1:1.0");
        let usb_node = usb.join("video4linux/video2");
        std::fs::create_dir_all(&usb_node).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(root.join("bus/usb/drivers/uvcvideo"))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(usb_node.join("name"), "HD Pro Webcam C920\n")
            .unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(&usb, usb_node.join("device")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(root.join("bus/usb/drivers/uvcvideo"), usb.join("driver"))
            .unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(&usb_node, class.join("video2"))
            .unwrap_or_else(|e| panic!("{e}"));

        let loop_id = sysfs_identity_in(&class, 0);
        assert_eq!(loop_id, Some(("Dummy video device (0x0000)".into(), None, true)));
        let usb_id = sysfs_identity_in(&class, 2);
        assert_eq!(usb_id, Some(("HD Pro Webcam C920".into(), Some("uvcvideo".into()), false)));
        assert_eq!(sysfs_identity_in(&class, 5), None);
        std::fs::remove_dir_all(&root).unwrap_or_else(|e| panic!("{e}"));
    }
}
