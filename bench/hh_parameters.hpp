#pragma once
/// @file hh_parameters.hpp
/// The hand loops' Hodgkin-Huxley parameters, as compile-time constants: the `hh` plug-in's defaults,
/// W. Gerstner and W. M. Kistler, Spiking Neuron Models, Cambridge University Press 2002, Table 2.1, p.36
/// (rest = 0 mV). Units: mV, ms, mS/cm^2, uF/cm^2.

namespace soma::bench::hh {

constexpr double C_m = 1.0;
constexpr double g_Na = 120.0;
constexpr double g_K = 36.0;
constexpr double g_L = 0.3;
constexpr double E_Na = 115.0;
constexpr double E_K = -12.0;
constexpr double E_L = 10.6;
constexpr double V_spike = 50.0;  // spike detection: upward crossing

}  // namespace soma::bench::hh
