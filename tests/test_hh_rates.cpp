/// @file test_hh_rates.cpp
/// The Hodgkin-Huxley rate functions (plugins/models/hh/hh_rates.hpp) against the values of
/// tests/data/README.md ("Hodgkin-Huxley rate functions"), including their removable singularities.

#define BOOST_TEST_MODULE soma_test_hh_rates
#include <boost/test/unit_test.hpp>

#include "hh_rates.hpp"

#include <cmath>

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

BOOST_AUTO_TEST_SUITE_END()
