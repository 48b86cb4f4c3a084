//! Debian version order, as `dpkg --compare-versions` has it (deb-version(7)): an optional
//! `epoch:`, the upstream version, an optional `-revision`; letters sort before non-letters, `~`
//! before everything, even the end; digit runs compare as numbers.

use std::cmp::Ordering;

/// A parsed Debian version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebVersion {
    epoch: u64,
    upstream: String,
    revision: String,
}

impl DebVersion {
    /// Parses `[epoch:]upstream[-revision]`; `None` for an empty upstream, a non-numeric epoch,
    /// or characters dpkg refuses.
    pub fn parse(text: &str) -> Option<DebVersion> {
        let text = text.trim();
        let (epoch, rest) = match text.split_once(':') {
            Some((epoch, rest)) => (epoch.parse().ok()?, rest),
            None => (0, text),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((upstream, revision)) => (upstream, revision),
            None => (rest, ""),
        };
        let upstream_ok = upstream.chars().next().is_some_and(|c| c.is_ascii_digit())
            && upstream
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~' | '-' | ':'));
        let revision_ok =
            revision.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~'));
        (upstream_ok && revision_ok).then(|| DebVersion {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.to_owned(),
        })
    }
}

impl std::fmt::Display for DebVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}

impl Ord for DebVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

impl PartialOrd for DebVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// dpkg's weight of a non-digit (`None`: the end of the string).
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs.
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs whose order dpkg defines; checked against the real `dpkg --compare-versions` too.
    const PAIRS: &[(&str, &str)] = &[
        ("0.1.0", "0.2.0"),
        ("0.9.0", "0.10.0"),
        ("1.0.0~rc1", "1.0.0"),
        // A semver pre-release reads as a Debian revision: after its release, not before.
        ("1.0.0", "1.0.0-beta.1"),
        ("1.0.0", "1.0.0+b1"),
        ("1.0.0", "1.0.0-1"),
        ("1.0.0-1", "1.0.0-2"),
        ("1.0.0-9", "1.0.0-10"),
        ("9.9.9", "1:0.0.1"),
        ("1.0a", "1.0b"),
        ("1.0", "1.0a"),
        ("1.0~~", "1.0~"),
        ("2.0.0", "2.0.1"),
        ("1.01", "1.2"),
    ];

    #[test]
    fn orders_as_dpkg() {
        for (lower, higher) in PAIRS {
            let (l, h) = (DebVersion::parse(lower).unwrap(), DebVersion::parse(higher).unwrap());
            assert!(l < h, "{lower} < {higher}");
            assert!(h > l, "{higher} > {lower}");
            assert_eq!(l.cmp(&l), Ordering::Equal);
        }
        let a = DebVersion::parse("1.002").unwrap();
        assert_eq!(a.cmp(&DebVersion::parse("1.2").unwrap()), Ordering::Equal);
        assert_eq!(DebVersion::parse("0:1.2").unwrap(), DebVersion::parse("1.2").unwrap());
    }

    #[test]
    fn agrees_with_dpkg_itself() {
        // The kiosk is a Debian package: dpkg is on every machine that builds or runs it.
        for (lower, higher) in PAIRS {
            let status = std::process::Command::new("/usr/bin/dpkg")
                .args(["--compare-versions", lower, "lt", higher])
                .status()
                .unwrap();
            assert!(status.success(), "dpkg disagrees: {lower} < {higher}");
        }
    }

    #[test]
    fn refuses_what_dpkg_refuses() {
        for bad in ["", "abc", "x:1.0", "1.0 beta", "1.0-r/1", "-1"] {
            assert_eq!(DebVersion::parse(bad), None, "{bad:?}");
        }
        assert_eq!(DebVersion::parse("2:1.0-3").unwrap().to_string(), "2:1.0-3");
    }
}
