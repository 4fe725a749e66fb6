"""Check the stochastic path: the two RandomNormalLike nodes of the ONNX graph are
replaced by graph inputs (eps_w [1,2,T], eps_z [1,192,F]) so that onnxruntime and
vits_ref see the same N(0,1) draws; default Piper scales and length_scale != 1."""

import json
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vits_ref as V  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))


def patched_model():
    m = onnx.load(V.DEFAULT_MODEL)
    keep, repl = [], {}
    for n in m.graph.node:
        if n.op_type == "RandomNormalLike":
            repl[n.output[0]] = "eps_w" if n.name.startswith("/dp/") else "eps_z"
        else:
            keep.append(n)
    for n in keep:
        for i, name in enumerate(n.input):
            if name in repl:
                n.input[i] = repl[name]
    del m.graph.node[:]
    m.graph.node.extend(keep)
    m.graph.input.append(onnx.helper.make_tensor_value_info("eps_w", onnx.TensorProto.FLOAT, [1, 2, None]))
    m.graph.input.append(onnx.helper.make_tensor_value_info("eps_z", onnx.TensorProto.FLOAT, [1, 192, None]))
    return m.SerializeToString()


def main():
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(patched_model(), sess_options=so, providers=["CPUExecutionProvider"])
    ids = np.load(f"{OUT}/hello_ids.npy")
    T = len(ids)
    rng = np.random.default_rng(1234)
    res = []
    for scales in ([0.667, 1.0, 0.8], [0.667, 1.3, 0.8], [0.0, 0.7, 0.0], [0.3, 1.0, 0.0]):
        ns, ls, nw = scales
        eps_w = rng.standard_normal((2, T)).astype(np.float32)
        # numpy first: it tells the number of frames for eps_z
        logw = V.sdp_reverse(V.text_encoder(ids)[0], eps_w * np.float32(nw))
        F = int(V.durations_from_logw(logw, ls).sum())
        eps_z = rng.standard_normal((192, F)).astype(np.float32)
        audio_np, dur_np = V.synthesize(ids, ns, ls, nw, eps_w=eps_w, eps_z=eps_z)
        feeds = {"input": ids[None], "input_lengths": np.array([T], np.int64),
                 "scales": np.array(scales, np.float32), "eps_w": eps_w[None], "eps_z": eps_z[None]}
        audio_ort = sess.run(None, feeds)[0].reshape(-1)
        ok = audio_ort.shape == audio_np.shape
        r = dict(scales=scales, frames=F, same_length=ok,
                 max_abs_diff=float(np.abs(audio_ort - audio_np).max()) if ok else None,
                 snr_db=float(10 * np.log10(np.sum(audio_ort.astype(np.float64) ** 2) /
                                            np.sum((audio_ort.astype(np.float64) - audio_np) ** 2))) if ok else None)
        print(json.dumps(r))
        res.append(r)
        if scales == [0.667, 1.0, 0.8]:
            np.save(f"{OUT}/hello_eps_w.npy", eps_w)
            np.save(f"{OUT}/hello_eps_z.npy", eps_z)
            np.save(f"{OUT}/hello_audio_ort_noisy_0.667_1.0_0.8.npy", audio_ort.astype(np.float32))
            np.save(f"{OUT}/hello_durations_noisy_0.667_1.0_0.8.npy", dur_np)
    json.dump(res, open(f"{OUT}/parity_noise_report.json", "w"), indent=1)


if __name__ == "__main__":
    main()
