/// @file test_hh_rates.cpp
/// The Hodgkin-Huxley rate functions (plugins/models/hh/hh_rates.hpp) against the values of
/// tests/data/README.md ("Hodgkin-Huxley rate functions"), including their removable singularities.

#define BOOST_TEST_MODULE soma_test_hh_rates
#include <boost/test/unit_test.hpp>

#include "hh_rates.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

using namespace soma::hh;

BOOST_AUTO_TEST_SUITE(hh_rates)

// At the removable singularities the limit is returned exactly (0.1*25 and 0.1*10 round to 2.5 and
// 1.0 exactly, so the argument of x/(exp(x)-1) is exactly 0 there).
BOOST_AUTO_TEST_CASE(limits_at_the_singularities_are_exact) {
    BOOST_TEST(alpha_m(25.0) == 1.0);
    BOOST_TEST(alpha_n(10.0) == 0.1);
}

// Reference values given to 11 (alpha_m(24.999)) and 9 decimals: absolute tolerances 1e-10 and 1e-9,
// well above double rounding (~1e-16) and below the last digit given.
BOOST_AUTO_TEST_CASE(values_match_reference) {
    BOOST_TEST(std::abs(alpha_m(24.999) - 0.99995000083) <= 1e-10);
    BOOST_TEST(std::abs(alpha_n(25.0) - 0.193082538) <= 1e-9);
    BOOST_TEST(std::abs(alpha_m(10.0) - 0.430825375) <= 1e-9);
}

// Next to the singularities the functions are finite and continuous: with x = 0.1 * offset, the
// value is 1 - x/2 + O(x^2), at most 5e-9 away from the limit for the offsets here, so 1e-6 is a
// loose bound that still catches a 0/0 (NaN), a cancellation blow-up or a wrong branch.
BOOST_AUTO_TEST_CASE(continuous_near_the_singularities) {
    for (const double offset : {1e-7, 1e-10, 1e-13}) {
        for (const double sign : {-1.0, 1.0}) {
            const double am = alpha_m(25.0 + sign * offset);
            const double an = alpha_n(10.0 + sign * offset);
            BOOST_TEST(std::isfinite(am), "alpha_m(25 " << sign * offset << ")");
            BOOST_TEST(std::isfinite(an), "alpha_n(10 " << sign * offset << ")");
            BOOST_TEST(std::abs(am - 1.0) <= 1e-6, "alpha_m(25 + " << sign * offset << ") = " << am);
            BOOST_TEST(std::abs(an - 0.1) <= 1e-6, "alpha_n(10 + " << sign * offset << ") = " << an);
        }
    }
}

// Steady-state gates at rest (u = 0), given to 7 decimals: tolerance 1e-7.
BOOST_AUTO_TEST_CASE(steady_states_at_rest) {
    BOOST_TEST(std::abs(steady_state(alpha_m(0), beta_m(0)) - 0.0529325) <= 1e-7);
    BOOST_TEST(std::abs(steady_state(alpha_n(0), beta_n(0)) - 0.3176769) <= 1e-7);
    BOOST_TEST(std::abs(steady_state(alpha_h(0), beta_h(0)) - 0.5961208) <= 1e-7);
}

// alpha_h, beta_h and beta_n are computed from one exponential, exp(-u/80), and its powers: against the
// book's formulas evaluated in long double (64-bit mantissa), they stay within 1e-14 relative from
// -100 to 150 mV (the powers multiply exp's error, at most 4 ulp or 9e-16, by 8 at most, plus the
// rounding of three products).
BOOST_AUTO_TEST_CASE(rates_made_of_one_exponential_are_the_books) {
    double worst = 0;
    for (int k = 0; k <= 2500; ++k) {
        const long double u = -100.0L + 0.1L * k;
        const long double alpha = 0.07L * std::exp(-u / 20.0L), beta_h_ref = 1.0L / (std::exp(3.0L - 0.1L * u) + 1.0L);
        const long double beta = 0.125L * std::exp(-u / 80.0L);
        const double ud = static_cast<double>(u);
        for (const auto& [value, reference] : {std::pair{alpha_h(ud), alpha}, std::pair{beta_h(ud), beta_h_ref},
                                             std::pair{beta_n(ud), beta}}) {
            worst = std::max(worst, static_cast<double>(std::abs((value - reference) / reference)));
        }
    }
    BOOST_TEST(worst <= 1e-14, "largest relative difference " << worst);
    BOOST_TEST_MESSAGE("largest relative difference from the direct formulas: " << worst);
}

BOOST_AUTO_TEST_SUITE_END()
