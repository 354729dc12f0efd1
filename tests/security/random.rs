//! Ids from the OS CSPRNG (spec §6.1, §8.1 item 2): Perl's md5 of pid, time and
//! drand48 can repeat and be guessed; ours must do neither.

use std::collections::HashSet;
use std::process::Command;

use cgi_session::idgen::{IdGenerator, Md5};
use cgi_session::Args;

fn is_md5_shape(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[test]
fn md5_ids_are_32_hex_never_repeat_and_have_balanced_bits() {
    const IDS: usize = 100_000;
    let mut seen = HashSet::with_capacity(IDS);
    let mut ones = [0u32; 128];
    for _ in 0..IDS {
        let id = Md5.generate(&Args::new(), Some("claimed")).unwrap();
        assert!(is_md5_shape(&id), "{id}");
        for (i, digit) in id.bytes().enumerate() {
            let nibble = (digit as char).to_digit(16).unwrap();
            for bit in 0..4 {
                ones[i * 4 + bit] += (nibble >> bit) & 1;
            }
        }
        assert!(seen.insert(id), "an id repeated");
    }
    // Each bit is set in half the ids: the standard deviation over 100,000 ids is
    // 158, so ±2,000 (over 12 sigma) never fails by chance, but catches a stuck or
    // biased bit.
    for (bit, count) in ones.iter().enumerate() {
        assert!(
            (48_000..=52_000).contains(count),
            "bit {bit} set in {count} of {IDS} ids"
        );
    }
}

#[test]
#[ignore = "a child process of two_processes_started_together_get_different_ids"]
fn print_one_id() {
    println!("{}", Md5.generate(&Args::new(), None).unwrap());
}

/// Perl's md5 hashes pid, time and a drand48 seeded from them: two processes with the
/// same pid (containers, pid reuse) in the same second can collide. Ours draws from
/// the OS, so processes started together always differ.
#[test]
fn two_processes_started_together_get_different_ids() {
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "random::print_one_id",
                    "--ignored",
                    "--nocapture",
                ])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ids = HashSet::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let id = text
            .lines()
            .find(|l| is_md5_shape(l))
            .expect("the child printed an id")
            .to_string();
        assert!(ids.insert(id), "two processes made the same id");
    }
}
