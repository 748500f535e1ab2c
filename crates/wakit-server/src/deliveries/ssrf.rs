//! The SSRF guard of outbound webhooks: a customer's URL must not reach wakit's own
//! network. Judged on the addresses the host resolves to (a name can point anywhere),
//! each of which must be public; redirects are not followed, so the check holds for the
//! whole delivery. `WAKIT_WEBHOOK_ALLOW_PRIVATE=1` lifts it (local development, tests).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused, or `None` when it is public.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => refused_v4(v4),
            None => refused_v6(v6),
        },
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Some("private")
    } else if ip.is_link_local() {
        // Includes 169.254.169.254, the cloud metadata service.
        Some("link-local (cloud metadata)")
    } else if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || a == 0 {
        Some("not a host address")
    } else {
        None
    }
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("loopback")
    } else if first & 0xfe00 == 0xfc00 {
        // Unique local (fc00::/7), incl. AWS's metadata address fd00:ec2::254.
        Some("private")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if ip.is_unspecified() || ip.is_multicast() {
        Some("not a host address")
    } else {
        None
    }
}

/// Checks every address `host` resolved to: `Err` with a sentence naming the first
/// refused one, unless `allow_private`.
pub fn check(host: &str, addresses: &[IpAddr], allow_private: bool) -> Result<(), String> {
    if addresses.is_empty() {
        return Err(format!("{host} does not resolve to any address"));
    }
    if allow_private {
        return Ok(());
    }
    match addresses
        .iter()
        .find_map(|ip| refused(*ip).map(|why| (ip, why)))
    {
        Some((ip, why)) => Err(format!(
            "{host} resolves to {ip}, a {why} address; webhooks go to public addresses only \
             (WAKIT_WEBHOOK_ALLOW_PRIVATE=1 allows others)"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn internal_addresses_are_refused() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::",
        ] {
            assert!(refused(ip(a)).is_some(), "{a} refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for a in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
        ] {
            assert_eq!(refused(ip(a)), None, "{a} public");
        }
    }

    #[test]
    fn one_internal_address_among_public_ones_refuses_the_host() {
        let mixed = [ip("93.184.216.34"), ip("10.0.0.5")];
        let e = check("hooks.example.com", &mixed, false).expect_err("refused");
        assert!(e.contains("10.0.0.5") && e.contains("private"), "{e}");
        assert_eq!(check("hooks.example.com", &mixed, true), Ok(()));
        assert!(check("nowhere.example", &[], true).is_err());
    }
}
