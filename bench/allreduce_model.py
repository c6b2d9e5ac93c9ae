#!/usr/bin/env python3
"""The cost model of the gradient all-reduce of `mpirun -np N nin-cl train` on a cluster (docs/scaling.md).

    bench/allreduce_model.py PARAMETERS [STEP_MS ...]

PARAMETERS: the network's parameter count (`nin-cl info cifar10` prints it); the gradient buffer is 4 bytes
each. A ring all-reduce of S bytes over N ranks sends 2(N-1)/N * S bytes per rank in 2(N-1) messages:
    t_ring = 2(N-1)/N * S / BW + 2(N-1) * alpha
and nin-cl adds one device-to-host and one host-to-device copy of the buffer over PCIe:
    t_copy = 2 * S / PCIE_BW.
STEP_MS: per-step compute times (ms) to compare with: the share of a step the all-reduce costs when it is
not overlapped with backward, t_comm / (t_step + t_comm)."""
import sys

BW = 100e9 / 8            # 100 Gb/s network, bytes/s
PCIE_BW = 25e9            # PCIe 4.0 x16, about 25 GB/s each way in practice
ALPHAS = [("RDMA (InfiniBand/RoCE), alpha 3 us", 3e-6), ("TCP, alpha 30 us", 30e-6)]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    params = int(sys.argv[1])
    steps_ms = [float(s) for s in sys.argv[2:]]
    size = 4 * params
    copy = 2 * size / PCIE_BW
    print(f"gradient buffer S = {params} parameters x 4 B = {size / 1e6:.2f} MB; S/BW at 100 Gb/s = "
          f"{size / BW * 1e3:.3f} ms; PCIe copies 2S/{PCIE_BW / 1e9:.0f} GB/s = {copy * 1e3:.3f} ms")
    for name, alpha in ALPHAS:
        print(f"\n{name}")
        header = "| N  | bandwidth term | latency term | all-reduce + copies |"
        header += "".join(f" share of a {s:g} ms step |" for s in steps_ms)
        print(header)
        print("|" + "---|" * (4 + len(steps_ms)))
        for n in (8, 16, 32, 64):
            bw_term = 2 * (n - 1) / n * size / BW
            lat_term = 2 * (n - 1) * alpha
            comm = bw_term + lat_term + copy
            row = f"| {n:<2} | {bw_term * 1e3:.3f} ms | {lat_term * 1e3:.3f} ms | {comm * 1e3:.3f} ms |"
            row += "".join(f" {100 * comm / (s / 1e3 + comm):.1f} % |" for s in steps_ms)
            print(row)


main()
