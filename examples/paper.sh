#!/bin/sh
# paper.sh - the experiments of Lin, Chen and Yan, "Network in network" (arXiv:1312.4400), as nin-cl runs.
#
#   examples/paper.sh DATASET [extra nin-cl train options]
#
# DATASET is cifar10, cifar10-augment, cifar100, svhn, mnist or fashion-mnist. Each run follows the paper's
# recipe: batch 128, SGD with momentum 0.9, weight decay, the learning rate divided by 10 whenever validation
# accuracy stops improving, until it falls below --min-lr. Get the data first with `nin-cl download DATASET`.
# The paper's test errors: CIFAR-10 10.41 % (8.81 % with augmentation), CIFAR-100 35.68 %, SVHN 2.35 %,
# MNIST 0.47 %.
set -eu
NIN_CL=${NIN_CL:-nin-cl}
dataset=${1:?usage: paper.sh DATASET [nin-cl train options]}
shift
case $dataset in
cifar10) exec "$NIN_CL" train cifar10 --preprocess zca "$@" ;;
cifar10-augment) exec "$NIN_CL" train cifar10 --preprocess zca --augment "$@" ;;
cifar100) exec "$NIN_CL" train cifar100 --preprocess zca "$@" ;;
svhn) exec "$NIN_CL" train svhn --extra --preprocess lcn "$@" ;;
mnist | fashion-mnist) exec "$NIN_CL" train "$dataset" "$@" ;;
*) echo "paper.sh: unknown dataset '$dataset'" >&2; exit 2 ;;
esac
