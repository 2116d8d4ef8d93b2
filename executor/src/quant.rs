//! Projections with weights kept quantized on the CPU ([`daya_kernels`]) or dense.

use std::sync::Arc;

use candle_core::Tensor;
pub use daya_kernels::QuantWeight;

/// A projection: dense (candle's `Linear`, any device) or quantized weights on the CPU.
#[derive(Clone)]
pub enum Proj {
	/// Dense weights.
	Dense(candle_nn::Linear),
	/// Weights kept quantized.
	Quant(Arc<QuantWeight>),
}

impl candle_core::Module for Proj {
	fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
		match self {
			Self::Dense(linear) => linear.forward(x),
			Self::Quant(w) => w.forward(x),
		}
	}
}
