use std::io::Write;

use futures::stream;

use super::*;

fn stored(
    pieces: Vec<Result<Vec<u8>, StorageError>>,
) -> BoxStream<'static, Result<Bytes, StorageError>> {
    stream::iter(pieces.into_iter().map(|p| p.map(Bytes::from))).boxed()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Reads everything with `max`-byte calls; the failure, if one ends the read.
async fn read_all(mut reader: ObjectReader, max: u64) -> (Vec<u8>, Option<ReadFailure>) {
    let mut out = Vec::new();
    loop {
        match reader.read(max).await {
            Ok(bytes) if bytes.is_empty() => return (out, None),
            Ok(bytes) => {
                assert!(
                    max == 0 || bytes.len() as u64 <= max,
                    "{} > {max}",
                    bytes.len()
                );
                out.extend_from_slice(&bytes);
            }
            Err(failure) => return (out, Some(failure)),
        }
    }
}

/// Pseudo-random bytes that compress a little (so several chunks of output).
fn sample(len: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_u32;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            b'0' + (x % 10) as u8
        })
        .collect()
}

#[tokio::test]
async fn gunzip_decodes_concatenated_members_split_anywhere() {
    let (a, b) = (sample(3 * CHUNK + 17), sample(5000));
    let mut compressed = gzip(&a);
    compressed.extend(gzip(&b));
    // The stored stream cut into odd pieces, one of them a single byte at the very start.
    let mut pieces = vec![Ok(compressed[..1].to_vec())];
    pieces.extend(compressed[1..].chunks(7777).map(|c| Ok(c.to_vec())));
    let reader = ObjectReader::start(stored(pieces), Decoding::Gunzip);
    let (out, failure) = read_all(reader, 100_000).await;
    assert_eq!(failure, None);
    assert_eq!(out.len(), a.len() + b.len());
    assert!(out[..a.len()] == a[..] && out[a.len()..] == b[..]);
}

#[tokio::test]
async fn gunzip_hands_over_plain_bytes_as_stored() {
    for data in [b"".to_vec(), b"x".to_vec(), sample(CHUNK + 3)] {
        let pieces = data.chunks(1000).map(|c| Ok(c.to_vec())).collect();
        let reader = ObjectReader::start(stored(pieces), Decoding::Gunzip);
        let (out, failure) = read_all(reader, 0).await;
        assert_eq!((out, failure), (data, None));
    }
}

#[tokio::test]
async fn as_stored_does_not_decode_gzip() {
    let compressed = gzip(b"hello");
    let reader = ObjectReader::start(stored(vec![Ok(compressed.clone())]), Decoding::AsStored);
    assert_eq!(read_all(reader, 0).await, (compressed, None));
}

#[tokio::test]
async fn corrupt_and_truncated_gzip_fail_as_corrupt() {
    let good = gzip(&sample(200_000));
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0xff;
    let truncated = good[..good.len() - 100].to_vec();
    for (what, bytes) in [("flipped", flipped), ("truncated", truncated)] {
        let reader = ObjectReader::start(stored(vec![Ok(bytes)]), Decoding::Gunzip);
        let (_, failure) = read_all(reader, 0).await;
        assert!(
            matches!(failure, Some(ReadFailure::Corrupt(_))),
            "{what}: {failure:?}"
        );
    }
}

#[tokio::test]
async fn a_backend_failure_mid_object_is_a_storage_failure_in_both_decodings() {
    let good = gzip(&sample(300_000));
    let broken = StorageError::Unavailable("connection reset".into());
    for decoding in [Decoding::Gunzip, Decoding::AsStored] {
        let pieces = vec![Ok(good[..1000].to_vec()), Err(broken.clone())];
        let reader = ObjectReader::start(stored(pieces), decoding);
        let (_, failure) = read_all(reader, 0).await;
        assert_eq!(
            failure,
            Some(ReadFailure::Storage(broken.clone())),
            "{decoding:?}"
        );
    }
}

#[tokio::test]
async fn dropping_the_reader_stops_the_stages() {
    // An endless stored stream: the stages must stop once the reader is gone, not fill memory.
    let endless = stream::repeat_with(|| Ok(Bytes::from(vec![b'a'; 64 * 1024]))).boxed();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let watched = endless.chain(stream::once(async move {
        let _ = tx.send(());
        Ok(Bytes::new())
    }));
    let mut reader = ObjectReader::start(watched.boxed(), Decoding::Gunzip);
    assert_eq!(reader.read(10).await.unwrap(), &b"aaaaaaaaaa"[..]);
    drop(reader);
    // The fetching stage's sender fails once the decoder is gone; the stream is dropped
    // unfinished, so the tail never runs and the oneshot's sender is dropped.
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(30), rx).await;
    assert!(
        matches!(stopped, Ok(Err(_))),
        "the stages kept running: {stopped:?}"
    );
}
