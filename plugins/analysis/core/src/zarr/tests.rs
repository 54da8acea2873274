//! Round trips through the writer and the reader.

use serde_json::json;

use super::*;

fn store(w: StoreWriter) -> MemoryStore {
    w.finish().into_iter().collect()
}

#[test]
fn every_dtype_round_trips() {
    let mut w = StoreWriter::new();
    w.group("", Some(json!({"a": 1})));
    let strings = vec!["".to_owned(), "CD3E".to_owned(), "ü→λ".to_owned()];
    w.array("b", ArrayRef::Bool(&[true, false, true]), None);
    w.array("i", ArrayRef::I32(&[-1, 0, i32::MAX]), None);
    w.array("l", ArrayRef::I64(&[i64::MIN, 7]), None);
    w.array("f", ArrayRef::F32(&[1.5, f32::NAN]), None);
    w.array(
        "d",
        ArrayRef::F64(&[-0.25]),
        Some(json!({"encoding-type": "array"})),
    );
    w.array("s", ArrayRef::Str(&strings), None);
    w.array("empty", ArrayRef::F64(&[]), None);
    w.array_2d_f32("m", 2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], None);
    let mut s = store(w);
    let get = |s: &mut MemoryStore, p: &str| read_array(s, p).unwrap().1;
    assert_eq!(get(&mut s, "b"), ArrayData::Bool(vec![true, false, true]));
    assert_eq!(get(&mut s, "i"), ArrayData::I32(vec![-1, 0, i32::MAX]));
    assert_eq!(get(&mut s, "l"), ArrayData::I64(vec![i64::MIN, 7]));
    match get(&mut s, "f") {
        ArrayData::F32(v) => assert!(v[0] == 1.5 && v[1].is_nan()),
        other => panic!("{other:?}"),
    }
    assert_eq!(get(&mut s, "d"), ArrayData::F64(vec![-0.25]));
    assert_eq!(get(&mut s, "s"), ArrayData::Str(strings));
    assert_eq!(get(&mut s, "empty"), ArrayData::F64(vec![]));
    let (meta, m) = read_array(&mut s, "m").unwrap();
    assert_eq!(meta.shape, vec![2, 3]);
    assert_eq!(m, ArrayData::F32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    assert_eq!(read_attrs(&mut s, "").unwrap(), json!({"a": 1}));
    assert_eq!(
        read_attrs(&mut s, "d").unwrap(),
        json!({"encoding-type": "array"})
    );
}

#[test]
fn numeric_element_sits_at_index_times_itemsize() {
    let mut w = StoreWriter::new();
    w.array("x", ArrayRef::F32(&[0.5, 1.5, 2.5, 3.5]), None);
    let mut s = store(w);
    let bytes = s.get_range("x/0", 8, 12).unwrap();
    assert_eq!(
        f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
        2.5
    );
}

#[test]
fn multi_chunk_1d_arrays_are_read_with_a_full_size_last_chunk() {
    let mut s = MemoryStore::default();
    s.0.insert(
        "a/.zarray".into(),
        br#"{"zarr_format":2,"shape":[3],"chunks":[2],"dtype":"<i4","compressor":null,"order":"C","fill_value":0,"filters":null}"#.to_vec(),
    );
    s.0.insert(
        "a/0".into(),
        [1i32, 2].iter().flat_map(|v| v.to_le_bytes()).collect(),
    );
    s.0.insert(
        "a/1".into(),
        [3i32, 0].iter().flat_map(|v| v.to_le_bytes()).collect(),
    );
    assert_eq!(
        read_array(&mut s, "a").unwrap().1,
        ArrayData::I32(vec![1, 2, 3])
    );
}

#[test]
fn unsupported_metadata_and_bad_chunks_are_errors() {
    let meta = |extra: &str| {
        format!(r#"{{"zarr_format":2,"shape":[2],"chunks":[2],"order":"C",{extra}}}"#)
    };
    let err = parse_array_meta(
        "k",
        meta(r#""dtype":"<f4","compressor":{"id":"blosc"}"#).as_bytes(),
    );
    assert!(
        err.unwrap_err()
            .to_string()
            .contains("compressed arrays are not supported")
    );
    let err = parse_array_meta("k", meta(r#""dtype":"<c8","compressor":null"#).as_bytes());
    assert!(
        err.unwrap_err()
            .to_string()
            .contains("unsupported dtype '<c8'")
    );
    let mut s = MemoryStore::default();
    s.0.insert(
        "a/.zarray".into(),
        meta(r#""dtype":"<f4","compressor":null"#).into_bytes(),
    );
    s.0.insert("a/0".into(), vec![0; 5]);
    assert!(read_array(&mut s, "a").is_err());
    s.0.insert("a/0".into(), vec![0; 8]);
    assert!(read_array(&mut s, "a").is_ok());
    assert!(matches!(
        read_array(&mut s, "missing"),
        Err(ZarrError::Source { .. })
    ));
    assert!(decode("k", Dtype::Str, &[2, 0, 0, 0, 9, 0, 0, 0], 2).is_err());
}
