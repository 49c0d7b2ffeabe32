"""pytest suite of the numerical harness (registered with ctest).

- hand-derivable cases pin the fp64 reference to the documented semantics;
- ORT's kernels are checked to run as themselves (not a decomposition);
- the sample of configurations: ORT vs the reference, then ours (attn-runner
  with the reference, flash-tiled and split-KV pipelines) vs both.

Environment: ATTN_RUNNER (path of attn-runner; the ours part is skipped with
a message when it is absent), ATTN_NUMERICS_CONFIGS (sample size, default
40), ATTN_NUMERICS_JOBS (parallel configs, default 1).
"""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import configs as cfgs  # noqa: E402
import harness  # noqa: E402
import ort_peer  # noqa: E402
import run_numerics  # noqa: E402
from reference import sdpa_reference  # noqa: E402

RNG = np.random.default_rng(1234)


def _rand(*shape):
    return RNG.standard_normal(shape)


# ---------------------------------------------------------------------------
# The reference against hand-derivable results
# ---------------------------------------------------------------------------


def test_single_key_returns_value():
    q, k, v = _rand(2, 3, 5, 8), _rand(2, 3, 1, 8), _rand(2, 3, 1, 4)
    out, lse = sdpa_reference(q, k, v, scale=0.5)
    np.testing.assert_allclose(out, np.broadcast_to(v, out.shape))
    np.testing.assert_allclose(lse, 0.5 * (q * k).sum(-1))


def test_equal_scores_average_the_visible_values():
    # q = 0 makes every score 0: the output is the mean of the visible
    # values and lse = log(#visible).
    q, k, v = np.zeros((1, 1, 4, 8)), _rand(1, 1, 6, 8), _rand(1, 1, 6, 3)
    out, lse = sdpa_reference(q, k, v, causal=True)  # top-left: i + 1 keys
    for i in range(4):
        np.testing.assert_allclose(out[0, 0, i], v[0, 0, :i + 1].mean(0))
        np.testing.assert_allclose(lse[0, 0, i], np.log(i + 1))
    out, lse = sdpa_reference(q, k, v, causal=True, align="bottom_right")
    for i in range(4):  # d(i) = i + 2
        np.testing.assert_allclose(out[0, 0, i], v[0, 0, :i + 3].mean(0))


def test_window_and_padding_visibility():
    q, k, v = np.zeros((2, 1, 5, 4)), _rand(2, 1, 9, 4), _rand(2, 1, 9, 2)
    out, _ = sdpa_reference(q, k, v, window_left=1, window_right=2,
                            kv_lens=[9, 3])
    for b, n in ((0, 9), (1, 3)):
        for i in range(5):
            keys = [j for j in range(9) if i - 1 <= j <= i + 2 and j < n]
            expect = v[b, 0, keys].mean(0) if keys else np.zeros(2)
            np.testing.assert_allclose(out[b, 0, i], expect)


def test_fully_masked_rows_are_zero_with_lse_minus_inf():
    q, k, v = _rand(1, 2, 6, 8), _rand(1, 2, 3, 8), _rand(1, 2, 3, 8)
    out, lse = sdpa_reference(q, k, v, causal=True, align="bottom_right")
    assert (out[:, :, :3] == 0).all() and np.isneginf(lse[:, :, :3]).all()
    assert np.isfinite(lse[:, :, 3:]).all()
    out, lse = sdpa_reference(q, k, v, kv_lens=[0])
    assert (out == 0).all() and np.isneginf(lse).all()


def test_large_logits_do_not_overflow():
    # Two keys whose scores are 1e4 and 1e4 - 1: weights 1/(1+e^-1).
    q = np.zeros((1, 1, 1, 2))
    q[..., 0] = 100.0
    k = np.array([[[[100.0, 0.0], [99.99, 0.0]]]])
    v = np.array([[[[1.0], [0.0]]]])
    out, lse = sdpa_reference(q, k, v, scale=1.0)
    np.testing.assert_allclose(out[0, 0, 0, 0], 1 / (1 + np.exp(-1.0)),
                               rtol=1e-9)
    np.testing.assert_allclose(lse[0, 0, 0], 1e4 + np.log1p(np.exp(-1.0)),
                               rtol=1e-12)


def test_order_softcap_then_bias_then_alibi():
    q, k, v = _rand(1, 2, 3, 4), _rand(1, 2, 5, 4), _rand(1, 2, 5, 4)
    bias = _rand(1, 2, 3, 5)
    slopes = np.array([0.5, 0.25])
    out, lse = sdpa_reference(q, k, v, scale=2.0, softcap=3.0, bias=bias,
                              alibi_slopes=slopes)
    s = 2.0 * np.einsum("bhid,bhjd->bhij", q, k)
    s = 3.0 * np.tanh(s / 3.0) + bias
    s = s + slopes[None, :, None, None] * (np.arange(5)[None, :] -
                                           np.arange(3)[:, None])
    p = np.exp(s - s.max(-1, keepdims=True))
    np.testing.assert_allclose(out, (p / p.sum(-1, keepdims=True)) @ v)
    np.testing.assert_allclose(lse, np.log(np.exp(s).sum(-1)))


def test_gqa_and_bshd_layout():
    q, k, v = _rand(1, 4, 3, 8), _rand(1, 2, 5, 8), _rand(1, 2, 5, 6)
    out, _ = sdpa_reference(q, k, v)
    for h in range(4):  # query head h reads kv head h // 2
        o1, _ = sdpa_reference(q[:, h:h + 1], k[:, h // 2:h // 2 + 1],
                               v[:, h // 2:h // 2 + 1])
        np.testing.assert_allclose(out[:, h:h + 1], o1)
    t = (0, 2, 1, 3)
    ob, lb = sdpa_reference(q.transpose(t), k.transpose(t), v.transpose(t),
                            layout="bshd")
    np.testing.assert_allclose(ob, out.transpose(t))


def test_varlen_matches_per_sequence():
    lq, lk = [3, 1, 4], [5, 2, 4]
    q, k, v = _rand(8, 2, 4), _rand(11, 1, 4), _rand(11, 1, 3)
    cq, ck = np.cumsum([0] + lq), np.cumsum([0] + lk)
    out, lse = sdpa_reference(q, k, v, cu_seqlens_q=cq, cu_seqlens_k=ck,
                              causal=True, align="bottom_right")
    for b in range(3):
        t = (1, 0, 2)
        o, l = sdpa_reference(q[cq[b]:cq[b + 1]].transpose(t)[None],
                              k[ck[b]:ck[b + 1]].transpose(t)[None],
                              v[ck[b]:ck[b + 1]].transpose(t)[None],
                              causal=True, align="bottom_right")
        np.testing.assert_allclose(out[cq[b]:cq[b + 1]], o[0].transpose(t))
        np.testing.assert_allclose(lse[cq[b]:cq[b + 1]], l[0].T)


def test_mlir_text_names_every_operand():
    c = cfgs.config_for_seed(-10)  # all features
    text = cfgs.to_mlir(c, cfgs.make_inputs(c))
    for piece in ("bias(%bias", "attn_mask(%attn_mask", "alibi(%alibi_slopes",
                  "kv_lens(%kv_lens", "softcap = 20.0 : f32",
                  "scale = 0.20000000298023224 : f32",
                  "#attn.mask<causal = true, align = bottom_right, "
                  "window_left = 9>", "layout = #attn<layout bshd>",
                  "-> tensor<2x17x4x64xf32>, tensor<2x4x17xf32>"):
        assert piece in text, (piece, text)


# ---------------------------------------------------------------------------
# The harness catches wrong results (a check that cannot fail is no check)
# ---------------------------------------------------------------------------


def test_checks_reject_wrong_outputs():
    ref = np.ones((1, 1, 2, 4))
    dead = np.array([[[True, False]]])
    failures, errors = [], {}
    bad = ref.copy()
    bad[0, 0, 1, 0] += 1e-3
    harness.check_output("x", bad, ref, np.zeros_like(dead), 2e-5, failures,
                         errors)
    assert failures and errors["x"] == pytest.approx(1e-3)
    failures = []
    ref0 = ref.copy()
    ref0[0, 0, 0] = 0
    harness.check_output("x", ref, ref0, dead, 1.0, failures, {})
    assert any("fully masked" in f for f in failures)
    failures = []
    harness.check_lse("x", np.array([0.0, 1.0]), np.array([-np.inf, 1.0]),
                      1e-5, failures, {})
    assert failures
    nan = ref.copy()
    nan[0, 0, 0, 0] = np.nan
    assert harness.rel_err(nan, ref) == float("inf")


# ---------------------------------------------------------------------------
# ONNX Runtime runs its own kernels
# ---------------------------------------------------------------------------


def test_ort_runs_its_own_kernels(tmp_path):
    models = {
        "Attention": [
            ort_peer.attention_model("f32", [1, 2, 5, 8], [1, 1, 7, 8],
                                     [1, 1, 7, 4],
                                     np.zeros((1, 2, 5, 7), np.float32),
                                     softcap=5.0),
            ort_peer.attention_model("f16", [1, 5, 16], [1, 7, 8], [1, 7, 8],
                                     np.ones((5, 7), bool), 2, 1,
                                     scale=0.3),
            ort_peer.attention_model("f32", [1, 2, 5, 8], [1, 2, 5, 8],
                                     [1, 2, 5, 8], is_causal=True)],
        "GroupQueryAttention": [
            ort_peer.gqa_model("f16", 2, 1, 4, 2, 8, 16, softcap=5.0,
                               window=4)],
        "MultiHeadAttention": [
            ort_peer.mha_model(2, 3, 5, 2, 8, 4, True, (1, 2, 3, 5), 0.2)],
    }
    for op, ms in models.items():
        for i, m in enumerate(ms):
            ops = ort_peer.ort_kernel_ops(m, str(tmp_path / f"{op}{i}.onnx"))
            assert ops == [op], f"ORT decomposed {op}: {ops}"


# ---------------------------------------------------------------------------
# The configuration sample
# ---------------------------------------------------------------------------

N_CONFIGS = int(os.environ.get("ATTN_NUMERICS_CONFIGS",
                               run_numerics.DEFAULT_CONFIGS))
JOBS = int(os.environ.get("ATTN_NUMERICS_JOBS", 1))


def test_reference_agrees_with_ort_on_sample(capsys):
    rc = run_numerics.main([f"--configs={N_CONFIGS}", "--peer-only",
                            f"--jobs={JOBS}"])
    out = capsys.readouterr().out
    print(out)
    assert rc == 0, out


def test_ours_vs_fp64_and_ort_on_sample(capsys):
    runner = harness.find_runner()
    if runner is None:
        pytest.skip("attn-runner not found (build the attn-runner target or "
                    "set ATTN_RUNNER): ours not checked")
    rc = run_numerics.main([f"--configs={N_CONFIGS}", f"--runner={runner}",
                            f"--jobs={JOBS}"])
    out = capsys.readouterr().out
    print(out)
    assert rc == 0, out
    assert f"{N_CONFIGS} configs: {N_CONFIGS} passed vs fp64" in out, out
