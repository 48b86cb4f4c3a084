//! `--tls`: a throwaway CA and a server certificate for loopback and the real Microsoft host
//! names, so clients that trust the CA file cannot tell the emulator from the cloud over HTTPS.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType};

use crate::server::{REAL_HOSTS, TlsFiles};

/// Makes a CA and a leaf certificate, and writes the CA to a file whose path is returned.
pub fn generate(listen_ip: &str) -> Result<TlsFiles, String> {
    let e = |e: rcgen::Error| e.to_string();
    let ca_key = KeyPair::generate().map_err(e)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca.distinguished_name.push(DnType::CommonName, "Reclaim emulator CA (throwaway)");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).map_err(e)?;
    let issuer = rcgen::Issuer::new(ca, ca_key);

    let mut names: Vec<String> = vec!["localhost".into()];
    names.extend(REAL_HOSTS.iter().map(|(h, _)| (*h).to_owned()));
    let mut leaf = CertificateParams::new(names).map_err(e)?;
    leaf.distinguished_name.push(DnType::CommonName, "Reclaim emulator");
    for ip in ["127.0.0.1", "::1", listen_ip] {
        if let Ok(addr) = ip.parse() {
            leaf.subject_alt_names.push(SanType::IpAddress(addr));
        }
    }
    let leaf_key = KeyPair::generate().map_err(e)?;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(e)?;

    let dir = std::env::temp_dir().join(format!("reclaim-emulator-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let ca_file = dir.join(format!("ca-{}.pem", uuid::Uuid::new_v4().simple()));
    std::fs::write(&ca_file, ca_cert.pem()).map_err(|e| e.to_string())?;
    Ok(TlsFiles {
        ca_file,
        ca_pem: ca_cert.pem(),
        cert_chain_pem: format!("{}{}", leaf_cert.pem(), ca_cert.pem()),
        key_pem: leaf_key.serialize_pem(),
    })
}
