enum Kernels {}
