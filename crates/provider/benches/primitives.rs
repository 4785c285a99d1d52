//! Benchmarks of the default provider's primitives per MLS cipher suite (RFC 9420 §17.1):
//! one KEM `Encap` and one `Decap`, HPKE single-shot seal+open of 100 bytes, sign and verify,
//! and AEAD seal of 1 KiB.
//!
//! `cargo bench -p braid-provider --bench primitives -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use braid_crypto::hpke::{self, HpkeSuite};
use braid_crypto::{CipherSuite, CryptoProvider};
use braid_provider::DefaultProvider;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn suite_benches(c: &mut Criterion) {
    let p = DefaultProvider::new();
    for id in 1..=7u16 {
        let Some(d) = CipherSuite(id).descriptor() else {
            continue;
        };
        let mut group = c.benchmark_group(format!("suite{id}"));

        let recipient = p.kem_generate(d.kem).expect("kem key pair");
        let (sk_r, pk_r) = (
            recipient.private_key.as_bytes(),
            recipient.public_key.as_slice(),
        );
        group.bench_function("kem_encap", |b| {
            b.iter(|| p.kem_encap(d.kem, black_box(pk_r)).expect("encap"))
        });
        let enc = p.kem_encap(d.kem, pk_r).expect("encap").enc;
        group.bench_function("kem_decap", |b| {
            b.iter(|| {
                p.kem_decap(d.kem, black_box(&enc), sk_r, pk_r)
                    .expect("decap")
            })
        });

        let suite = HpkeSuite::from(d);
        let plaintext = [0x5a; 100];
        group.bench_function("hpke_seal_open_100B", |b| {
            b.iter(|| {
                let (enc, ct) =
                    hpke::seal_base(&p, suite, pk_r, b"info", b"aad", black_box(&plaintext))
                        .expect("seal");
                hpke::open_base(&p, suite, &enc, sk_r, pk_r, b"info", b"aad", &ct).expect("open")
            })
        });

        let signer = p
            .signature_generate(d.signature)
            .expect("signature key pair");
        let message = [0xa5; 256];
        group.bench_function("sign", |b| {
            b.iter(|| {
                p.sign(
                    d.signature,
                    signer.private_key.as_bytes(),
                    black_box(&message),
                )
                .expect("sign")
            })
        });
        let signature = p
            .sign(d.signature, signer.private_key.as_bytes(), &message)
            .expect("sign");
        group.bench_function("verify", |b| {
            b.iter(|| {
                p.verify(
                    d.signature,
                    &signer.public_key,
                    black_box(&message),
                    &signature,
                )
                .expect("verify")
            })
        });

        let key = vec![0x11; d.aead.key_len().unwrap_or(0)];
        let data = [0x22; 1024];
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_function("aead_seal_1KiB", |b| {
            b.iter(|| {
                p.aead_seal(d.aead, &key, &[0x33; 12], b"", black_box(&data))
                    .expect("aead seal")
            })
        });
        group.finish();
    }
}

criterion_group!(benches, suite_benches);
criterion_main!(benches);
