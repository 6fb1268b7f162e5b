// Per-cell parameter values (soma/cell_values.hpp): the text forms, linspace against its formula and
// numpy, the random draws against Random123's published known answers and an independent re-implementation
// of the documented recipe, their statistics, tables of values and the common number of cells.
#define BOOST_TEST_MODULE soma_cell_values
#include <boost/test/unit_test.hpp>

#include "soma_test_support.hpp"

#include "soma/cell_values.hpp"
#include "soma/error.hpp"

#include <Random123/philox.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <string>
#include <vector>

using soma::CellValues;
using soma::ParameterError;
using Form = CellValues::Form;

namespace {

using soma::test::message_of;
using soma::test::TempDir;

using Block = std::array<std::uint32_t, 4>;

// Philox4x32-10 written here from the published algorithm (Salmon et al. 2011, SC'11, section 4.3): ten
// rounds of two 32x32->64 multiplications, the key bumped by the Weyl constants before every round but
// the first. It shares no code with Random123 and is checked against the same known answers below.
Block philox4x32_10(Block x, std::array<std::uint32_t, 2> k) {
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k[0] += 0x9E3779B9u;
            k[1] += 0xBB67AE85u;
        }
        const std::uint64_t p0 = std::uint64_t{0xD2511F53u} * x[0];
        const std::uint64_t p1 = std::uint64_t{0xCD9E8D57u} * x[2];
        x = {static_cast<std::uint32_t>(p1 >> 32) ^ x[1] ^ k[0], static_cast<std::uint32_t>(p1),
             static_cast<std::uint32_t>(p0 >> 32) ^ x[3] ^ k[1], static_cast<std::uint32_t>(p0)};
    }
    return x;
}

// 32-bit FNV-1a (Fowler, Noll, Vo), as specified by its authors.
std::uint32_t fnv1a(std::string_view bytes) {
    std::uint32_t h = 2166136261u;
    for (const char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return h;
}

// The recipe of framework/src/cell_values.cpp's header comment, step by step, on the implementations above.
Block block(std::uint64_t seed, std::string_view parameter, std::uint64_t cell) {
    return philox4x32_10({static_cast<std::uint32_t>(cell), static_cast<std::uint32_t>(cell >> 32), fnv1a(parameter), 0},
                         {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
}
std::uint64_t word(std::uint32_t low, std::uint32_t high) { return low | std::uint64_t{high} << 32; }

double reference_normal(std::uint64_t seed, std::string_view parameter, std::uint64_t cell, double mu, double sigma) {
    const Block r = block(seed, parameter, cell);
    const double u1 = static_cast<double>(word(r[0], r[1])) * 0x1p-64 + 0x1p-65;  // (0, 1]
    const double u2 = static_cast<double>(word(r[2], r[3])) * 0x1p-64 + 0x1p-65;
    return mu + sigma * (std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2));
}

double reference_uniform(std::uint64_t seed, std::string_view parameter, std::uint64_t cell, double a, double b) {
    const Block r = block(seed, parameter, cell);
    const double u = static_cast<double>(word(r[0], r[1]) >> 11) * 0x1p-53;  // [0, 1)
    const double value = a + (b - a) * u;
    return value < b ? value : std::nextafter(b, a);
}

struct Moments {
    double mean = 0, variance = 0;  // variance with n - 1
};
Moments moments(const std::vector<double>& x) {
    Moments m;
    for (const double v : x) m.mean += v;
    m.mean /= static_cast<double>(x.size());
    for (const double v : x) m.variance += (v - m.mean) * (v - m.mean);
    m.variance /= static_cast<double>(x.size() - 1);
    return m;
}

// How many representable doubles lie between x and y.
double ulps(double x, double y) { return std::abs(x - y) / (std::nextafter(std::abs(y), INFINITY) - std::abs(y)); }

std::string parse_error(std::string_view parameter, std::string_view text) {
    return message_of<ParameterError>([&] { (void)CellValues::parse(parameter, text); });
}

void write(const std::filesystem::path& file, std::string_view text) {
    std::ofstream(file, std::ios::binary) << text;
}

std::string table_error(const std::filesystem::path& file) {
    return message_of<ParameterError>([&] { (void)soma::read_cell_table(file); });
}

}  // namespace

// ----------------------------------------------------------------------------------------------------
// The generator's building blocks against published known answers.

// Random123 1.14's tests/kat_vectors, the three philox4x32 10 lines (counter, key -> output).
const std::array<std::array<Block, 3>, 3> philox_kat{{
    {{{0, 0, 0, 0}, {0, 0, 0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
    {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
      {0xffffffff, 0xffffffff, 0, 0},
      {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
    {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
      {0xa4093822, 0x299f31d0, 0, 0},
      {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
}};

BOOST_AUTO_TEST_CASE(philox4x32_10_matches_the_published_known_answers) {
    const r123::Philox4x32_R<10> random123;
    for (const auto& [ctr, key, expected] : philox_kat) {
        const auto got = random123({{ctr[0], ctr[1], ctr[2], ctr[3]}}, {{key[0], key[1]}});
        const auto reference = philox4x32_10(ctr, {key[0], key[1]});
        for (std::size_t k = 0; k < 4; ++k) {
            BOOST_TEST(got[k] == expected[k], "Random123 word " << k);
            BOOST_TEST(reference[k] == expected[k], "test's Philox word " << k);
        }
    }
}

BOOST_AUTO_TEST_CASE(fnv1a_matches_the_published_test_values) {
    // From the FNV authors' test suite (test_fnv.c, FNV-1a 32-bit).
    BOOST_TEST(fnv1a("") == 0x811c9dc5u);
    BOOST_TEST(fnv1a("a") == 0xe40c292cu);
    BOOST_TEST(fnv1a("foobar") == 0xbf9cf968u);
}

// ----------------------------------------------------------------------------------------------------
// Text forms.

BOOST_AUTO_TEST_CASE(parse_accepts_every_form_and_normalises_it) {
    const auto scalar = CellValues::parse("model.g_Na", " +120 ");
    BOOST_TEST((scalar.form() == Form::scalar));
    BOOST_TEST(scalar.length() == 1u);
    BOOST_TEST(scalar.to_string() == "120");
    BOOST_TEST(CellValues::parse("model.g_Na", "1e-3").to_string() == "0.001");

    const auto list = CellValues::parse("model.g_Na", "100, 110 ,120");
    BOOST_TEST((list.form() == Form::list));
    BOOST_TEST(list.length() == 3u);
    BOOST_TEST(list.to_string() == "list of 3 values");
    BOOST_TEST(list.expand("model.g_Na", 3, 0) == (std::vector<double>{100, 110, 120}), boost::test_tools::per_element());

    const auto linspace = CellValues::parse("stimulus.amplitude", "linspace(0, 20, 41)");
    BOOST_TEST((linspace.form() == Form::linspace));
    BOOST_TEST(linspace.length() == 41u);
    BOOST_TEST(linspace.to_string() == "linspace(0, 20, 41)");
    BOOST_TEST(CellValues::parse("x.y", "  linspace ( 0 ,20,  1e1 ) ").to_string() == "linspace(0, 20, 10)");

    const auto normal = CellValues::parse("model.C_m", "normal(1,0.1)");
    BOOST_TEST((normal.form() == Form::normal));
    BOOST_TEST(normal.length() == 0u);
    BOOST_TEST(normal.to_string() == "normal(1, 0.1)");

    const auto uniform = CellValues::parse("model.C_m", "uniform( -1 , 1 )");
    BOOST_TEST((uniform.form() == Form::uniform));
    BOOST_TEST(uniform.length() == 0u);
    BOOST_TEST(uniform.to_string() == "uniform(-1, 1)");

    BOOST_TEST(CellValues::constant(-65.5).to_string() == "-65.5");
    BOOST_TEST(CellValues::list({1, 2}, "column 'model.g_Na' of cells.csv").to_string() ==
               "column 'model.g_Na' of cells.csv");
    BOOST_TEST(CellValues::list({1}).to_string() == "list of 1 value");
}

BOOST_AUTO_TEST_CASE(varies_only_when_cells_can_differ) {
    BOOST_TEST(!CellValues::parse("p", "120").varies());
    BOOST_TEST(!CellValues::parse("p", "3,3,3").varies());
    BOOST_TEST(CellValues::parse("p", "3,3,4").varies());
    BOOST_TEST(!CellValues::parse("p", "linspace(5, 5, 3)").varies());
    BOOST_TEST(!CellValues::parse("p", "linspace(0, 1, 1)").varies());
    BOOST_TEST(CellValues::parse("p", "linspace(0, 1, 2)").varies());
    BOOST_TEST(!CellValues::parse("p", "normal(1, 0)").varies());
    BOOST_TEST(CellValues::parse("p", "normal(1, 0.1)").varies());
    BOOST_TEST(CellValues::parse("p", "uniform(0, 1)").varies());
}

BOOST_AUTO_TEST_CASE(parse_refuses_every_malformed_text_naming_parameter_text_and_form) {
    struct Case {
        std::string text;
        std::vector<std::string> parts;
    };
    const std::vector<Case> cases{
        {"", {"parameter 'model.g_Na': no value given", "linspace(a, b, n)"}},
        {"abc", {"'abc' is not a number", "normal(mu, sigma)"}},
        {"12 mV", {"'12 mV' is not a number"}},
        {"+-5", {"'+-5' is not a number"}},
        {"inf", {"'inf' is not a finite number"}},
        {"nan", {"'nan' is not a finite number"}},
        {"1e999", {"'1e999' cannot be held in double precision"}},
        {"1e-400", {"'1e-400' cannot be held in double precision"}},
        {"1,,3", {"= '1,,3'", "entry 2 of the list is empty", "e.g. 100,110,120"}},
        {"1,2,", {"entry 3 of the list is empty"}},
        {"1, inf", {"entry 2 of the list: 'inf' is not a finite number"}},
        {"1, x", {"entry 2 of the list: 'x' is not a number"}},
        {"linspace(0, 1, 0)", {"= 'linspace(0, 1, 0)'", "n = 0 must be a whole number >= 1", "linspace(a, b, n)"}},
        {"linspace(0, 1, 2.5)", {"n = 2.5 must be a whole number >= 1"}},
        {"linspace(0, 1, -3)", {"n = -3 must be a whole number >= 1"}},
        {"linspace(0, 1, 2e9)", {"n = 2000000000 is more than the 1e9 values allowed"}},
        {"linspace(nan, 1, 3)", {"argument 1 (a): 'nan' is not a finite number"}},
        {"linspace(0, inf, 3)", {"argument 2 (b): 'inf' is not a finite number"}},
        {"linspace(-1e308, 1e308, 3)", {"(b - a)(n - 1) overflows"}},
        {"linspace(0, 1)", {"linspace takes 3 arguments, not 2", "e.g. linspace(0, 20, 41)"}},
        {"gauss(0, 1)", {"= 'gauss(0, 1)'", "unknown function 'gauss'", "Known: linspace, normal, uniform."}},
        {"Normal(0, 1)", {"unknown function 'Normal'; did you mean 'normal'?"}},
        {"linspac(0, 1, 3)", {"did you mean 'linspace'?"}},
        {"normal(1)", {"normal takes 2 arguments, not 1", "normal(mu, sigma), e.g. normal(1, 0.1)"}},
        {"normal()", {"normal takes 2 arguments, not 0"}},
        {"uniform(0, 1, 2)", {"uniform takes 2 arguments, not 3"}},
        {"normal(1, -0.1)", {"sigma = -0.1 must be >= 0"}},
        {"normal(1, x)", {"argument 2 (sigma): 'x' is not a number"}},
        {"normal(1, )", {"argument 2 (sigma) is empty"}},
        {"normal(0, 1e308)", {"draws could overflow"}},
        {"normal(1, 2", {"')' is missing at the end"}},
        {"linspace(0, 1, 3)x", {"unexpected text 'x' after ')'", "e.g. linspace(0, 20, 41)"}},
        {"linspace(0, 1, 3), 5", {"linspace(...) gives all the values and cannot be part of a list"}},
        {"uniform(1, 1)", {"a = 1 must be less than b = 1", "uniform(a, b) with a < b"}},
        {"uniform(2, 1)", {"a = 2 must be less than b = 1"}},
        {"uniform(-1e308, 1e308)", {"b - a overflows"}},
        {"(1, 2)", {"not a number, a list or a function"}},
        {"1, normal(0, 1)", {"not a number, a list or a function"}},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("text '" << c.text << "'") {
            const auto message = parse_error("model.g_Na", c.text);
            SOMA_CHECK_CONTAINS(message, "parameter 'model.g_Na'");
            for (const auto& part : c.parts) SOMA_CHECK_CONTAINS(message, part);
        }
    }
    SOMA_CHECK_CONTAINS(message_of<ParameterError>([] { (void)CellValues::list({}); }), "at least one value");
}

// ----------------------------------------------------------------------------------------------------
// linspace and expansion.

// numpy.linspace's arithmetic (numpy/core/function_base.py): k * ((b - a) / (n - 1)) + a, the last value b.
BOOST_AUTO_TEST_CASE(linspace_follows_numpys_formula_and_ends_at_b) {
    const struct {
        double a, b;
        std::size_t n;
        std::string text;
    } cases[] = {{0, 20, 41, "linspace(0, 20, 41)"},
                 {-65, -40, 7, "linspace(-65, -40, 7)"},
                 {0.1, 0.3, 5, "linspace(0.1, 0.3, 5)"},
                 {-46.8393, -12.2247, 847, "linspace(-46.8393, -12.2247, 847)"},
                 {3, -3, 2, "linspace(3, -3, 2)"}};
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.text) {
            const auto values = CellValues::parse("p", c.text).expand("p", c.n, 7);
            BOOST_TEST_REQUIRE(values.size() == c.n);
            const double step = (c.b - c.a) / static_cast<double>(c.n - 1);
            for (std::size_t k = 0; k + 1 < c.n; ++k) BOOST_TEST(values[k] == static_cast<double>(k) * step + c.a);
            BOOST_TEST(values.back() == c.b);
        }
    }
    // Why the last value is set to b: the formula alone misses it here by one bit.
    BOOST_TEST(846.0 * ((-12.2247 - -46.8393) / 846.0) + -46.8393 != -12.2247);

    const auto one = CellValues::parse("p", "linspace(3, 7, 1)");
    BOOST_TEST(one.length() == 1u);
    BOOST_TEST(one.expand("p", 4, 0) == (std::vector<double>{3, 3, 3, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(linspace_matches_numpy) {
    // numpy 1.24.2 (Debian's python3-numpy): print([repr(float(x)) for x in numpy.linspace(a, b, n)]).
    const std::vector<double> numpy_0_20_41 = [] {
        std::vector<double> v;
        for (int k = 0; k <= 40; ++k) v.push_back(0.5 * k);  // numpy's output is exactly 0.0, 0.5, ..., 20.0
        return v;
    }();
    const std::vector<double> numpy_01_03_5{0.1, 0.15, 0.2, 0.25, 0.3};
    const std::vector<double> numpy_m65_m40_7{-65.0, -60.833333333333336, -56.666666666666664, -52.5,
                                              -48.33333333333333, -44.166666666666664, -40.0};
    const std::vector<double> numpy_0_1_10{0.0, 0.1111111111111111, 0.2222222222222222, 0.3333333333333333,
                                           0.4444444444444444, 0.5555555555555556, 0.6666666666666666,
                                           0.7777777777777777, 0.8888888888888888, 1.0};
    // Identical where numpy's k ((b - a) / (n - 1)) + a rounds as a + (b - a) k / (n - 1) does...
    BOOST_TEST(CellValues::parse("p", "linspace(0, 20, 41)").expand("p", 41, 0) == numpy_0_20_41,
               boost::test_tools::per_element());
    BOOST_TEST(CellValues::parse("p", "linspace(0.1, 0.3, 5)").expand("p", 5, 0) == numpy_01_03_5,
               boost::test_tools::per_element());
    // ... and within one bit where it does not (k = 5 of the first, k = 7 of the second).
    for (const auto& [text, numpy] : {std::pair{"linspace(-65, -40, 7)", numpy_m65_m40_7},
                                      std::pair{"linspace(0, 1, 10)", numpy_0_1_10}}) {
        const auto values = CellValues::parse("p", text).expand("p", numpy.size(), 0);
        BOOST_TEST_REQUIRE(values.size() == numpy.size());
        for (std::size_t k = 0; k < numpy.size(); ++k) BOOST_TEST(ulps(values[k], numpy[k]) <= 1.0, text << " k = " << k);
    }
}

BOOST_AUTO_TEST_CASE(expand_repeats_single_values_and_refuses_other_lengths) {
    BOOST_TEST(CellValues::parse("p", "120").expand("p", 3, 0) == (std::vector<double>{120, 120, 120}),
               boost::test_tools::per_element());
    BOOST_TEST(CellValues::list({4}).expand("p", 2, 0) == (std::vector<double>{4, 4}), boost::test_tools::per_element());
    BOOST_TEST(CellValues::parse("p", "120").expand("p", 0, 0).empty());

    const auto list = message_of<ParameterError>([] { (void)CellValues::parse("p", "1,2,3").expand("model.g_Na", 5, 0); });
    SOMA_CHECK_CONTAINS(list, "parameter 'model.g_Na' has 3 values but the run has 5 cells");
    const auto linspace =
        message_of<ParameterError>([] { (void)CellValues::parse("p", "linspace(0, 20, 41)").expand("stimulus.amplitude", 1, 0); });
    SOMA_CHECK_CONTAINS(linspace, "parameter 'stimulus.amplitude' has 41 values (linspace(0, 20, 41)) but the run has 1 cell;");
    const auto column = message_of<ParameterError>(
        [] { (void)CellValues::list({1, 2}, "column 'model.g_Na' of cells.csv").expand("model.g_Na", 3, 0); });
    SOMA_CHECK_CONTAINS(column, "parameter 'model.g_Na' has 2 values (column 'model.g_Na' of cells.csv) but the run has 3 cells");
}

// ----------------------------------------------------------------------------------------------------
// Random draws.

BOOST_AUTO_TEST_CASE(draws_follow_the_documented_recipe) {
    for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{42}, std::uint64_t{0x0123456789abcdef}}) {
        const auto normal = CellValues::parse("model.C_m", "normal(1, 0.1)").expand("model.C_m", 200, seed);
        const auto uniform = CellValues::parse("x", "uniform(-2, 5)").expand("stimulus.amplitude", 200, seed);
        for (std::uint64_t c = 0; c < 200; ++c) {
            // log and cos of glibc are not required to be correctly rounded: allow a few bits.
            const double expected = reference_normal(seed, "model.C_m", c, 1, 0.1);
            BOOST_TEST(std::abs(normal[c] - expected) <= 1e-14, "seed " << seed << " cell " << c);
            BOOST_TEST(uniform[c] == reference_uniform(seed, "stimulus.amplitude", c, -2, 5), "seed " << seed << " cell " << c);
        }
    }
}

BOOST_AUTO_TEST_CASE(draws_are_reproducible_and_independent_of_the_number_of_cells) {
    const auto normal = CellValues::parse("model.C_m", "normal(1, 0.1)");
    const auto many = normal.expand("model.C_m", 1000, 7);
    BOOST_TEST(normal.expand("model.C_m", 1000, 7) == many, boost::test_tools::per_element());
    const auto few = normal.expand("model.C_m", 10, 7);
    BOOST_TEST(few == std::vector<double>(many.begin(), many.begin() + 10), boost::test_tools::per_element());

    const auto other_seed = normal.expand("model.C_m", 1000, 8);
    const auto other_name = normal.expand("model.g_L", 1000, 7);
    const auto high_seed = normal.expand("model.C_m", 1000, 7 + (std::uint64_t{1} << 32));
    std::size_t same_seed = 0, same_name = 0, same_high = 0;
    for (std::size_t c = 0; c < many.size(); ++c) {
        same_seed += many[c] == other_seed[c];
        same_name += many[c] == other_name[c];
        same_high += many[c] == high_seed[c];
    }
    BOOST_TEST(same_seed == 0u);
    BOOST_TEST(same_name == 0u);
    BOOST_TEST(same_high == 0u);  // the seed's high word takes part
    const auto uniform = CellValues::parse("p", "uniform(0, 1)");
    BOOST_TEST(uniform.expand("p", 50, 3) == uniform.expand("p", 50, 3), boost::test_tools::per_element());
    BOOST_TEST((uniform.expand("p", 50, 3) != uniform.expand("q", 50, 3)));
    BOOST_TEST(CellValues::parse("p", "normal(-65, 0)").expand("p", 3, 1) == (std::vector<double>{-65, -65, -65}),
               boost::test_tools::per_element());
}

// With N = 20000 independent draws, the sample mean has standard error sigma / sqrt(N), and the sample
// variance s^2 (divisor N - 1) has standard deviation sqrt((mu_4 - sigma^4) / N) to first order, mu_4 the
// fourth central moment: 3 sigma^4 for a normal, so sd(s^2) = sigma^2 sqrt(2 / N) (exactly sqrt(2 / (N - 1)));
// (b - a)^4 / 80 for a uniform on [a, b), with sigma^2 = (b - a)^2 / 12, so sd(s^2) = (b - a)^2 / sqrt(180 N).
// s^2 is a sum of N nearly independent terms, so it is close to normal, and each check allows 5 of its
// standard deviations: a correct generator fails one with probability below 1e-6. A wrong transform
// (e.g. sigma^2 for sigma, a missing factor 2 in Box-Muller, [0, 1) mapped to [a, (a + b) / 2)) moves the
// mean or variance by far more.
constexpr std::size_t n_draws = 20000;

BOOST_AUTO_TEST_CASE(normal_draws_have_the_asked_mean_and_variance) {
    const double mu = -65, sigma = 4;
    const auto x = CellValues::parse("model.V_init", "normal(-65, 4)").expand("model.V_init", n_draws, 2024);
    const auto m = moments(x);
    const double n = n_draws;
    BOOST_TEST(std::abs(m.mean - mu) <= 5 * sigma / std::sqrt(n), "mean " << m.mean);
    BOOST_TEST(std::abs(m.variance - sigma * sigma) <= 5 * sigma * sigma * std::sqrt(2 / (n - 1)), "variance " << m.variance);
    // The share within one sigma, 0.682689 for a normal, is binomial: 5 standard errors.
    double inside = 0;
    for (const double v : x) inside += std::abs(v - mu) < sigma;
    const double p = 0.6826894921370859;
    BOOST_TEST(std::abs(inside / n - p) <= 5 * std::sqrt(p * (1 - p) / n), "share within 1 sigma " << inside / n);
}

BOOST_AUTO_TEST_CASE(uniform_draws_fill_the_interval_evenly) {
    const double a = 2, b = 7;
    const auto x = CellValues::parse("model.g_L", "uniform(2, 7)").expand("model.g_L", n_draws, 99);
    const auto m = moments(x);
    const double n = n_draws;
    BOOST_TEST(std::abs(m.mean - (a + b) / 2) <= 5 * (b - a) / std::sqrt(12 * n), "mean " << m.mean);
    BOOST_TEST(std::abs(m.variance - (b - a) * (b - a) / 12) <= 5 * (b - a) * (b - a) / std::sqrt(180 * n),
               "variance " << m.variance);
    // Ten bins, each count binomial(N, 0.1): 5 standard deviations of sqrt(N 0.1 0.9).
    std::array<double, 10> bins{};
    for (const double v : x) {
        BOOST_TEST_REQUIRE((v >= a && v < b), v << " outside [2, 7)");
        bins[static_cast<std::size_t>((v - a) / (b - a) * 10)] += 1;
    }
    for (const double count : bins) BOOST_TEST(std::abs(count - n / 10) <= 5 * std::sqrt(n * 0.1 * 0.9), count);
}

// ----------------------------------------------------------------------------------------------------
// The number of cells of a run.

BOOST_AUTO_TEST_CASE(common_cell_count_agrees_lists_and_the_request) {
    using Lengths = std::vector<std::pair<std::string, std::size_t>>;
    BOOST_TEST(soma::common_cell_count(0, Lengths{}) == 1u);
    BOOST_TEST(soma::common_cell_count(0, Lengths{{"model.g_Na", 1}, {"model.C_m", 0}}) == 1u);
    BOOST_TEST(soma::common_cell_count(8, Lengths{{"model.g_Na", 1}, {"model.C_m", 0}}) == 8u);
    BOOST_TEST(soma::common_cell_count(0, Lengths{{"model.g_Na", 5}, {"model.C_m", 0}, {"stimulus.amplitude", 5}}) == 5u);
    BOOST_TEST(soma::common_cell_count(5, Lengths{{"model.g_Na", 5}, {"model.g_K", 1}}) == 5u);

    const auto two = message_of<ParameterError>(
        [] { (void)soma::common_cell_count(0, Lengths{{"model.g_Na", 3}, {"model.C_m", 1}, {"stimulus.amplitude", 4}}); });
    SOMA_CHECK_CONTAINS(two, "parameter 'model.g_Na' has 3 values but parameter 'stimulus.amplitude' has 4");
    const auto requested =
        message_of<ParameterError>([] { (void)soma::common_cell_count(5, Lengths{{"model.g_Na", 3}}); });
    SOMA_CHECK_CONTAINS(requested, "parameter 'model.g_Na' has 3 values but the run asks for 5 cells (--cells, or cells in a scenario file)");
}

// ----------------------------------------------------------------------------------------------------
// Tables.

BOOST_AUTO_TEST_CASE(read_cell_table_reads_columns_skipping_comments_bom_and_crlf) {
    const TempDir dir;
    const auto file = dir.path() / "cells.csv";
    write(file, "\xEF\xBB\xBF# per-cell values\r\n"
                " model.g_Na , stimulus.amplitude\r\n"
                "\r\n"
                "120, 5\r\n"
                "   # a comment\r\n"
                "+110,-2.5e1  # a comment after the values\r\n"
                "100 ,\t0");  // no line end at the end
    const auto table = soma::read_cell_table(file);
    BOOST_TEST(table.file == file);
    BOOST_TEST(table.columns == (std::vector<std::string>{"model.g_Na", "stimulus.amplitude"}), boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(table.rows() == 3u);
    BOOST_TEST(table.values[0] == (std::vector<double>{120, 110, 100}), boost::test_tools::per_element());
    BOOST_TEST(table.values[1] == (std::vector<double>{5, -25, 0}), boost::test_tools::per_element());
}

// A run's NAME_cells.csv reads back as a table: units in the headers, the summary columns (with empty fields)
// skipped.
BOOST_AUTO_TEST_CASE(read_cell_table_reads_a_runs_cells_csv) {
    const TempDir dir;
    const auto file = dir.path() / "run_cells.csv";
    write(file, "# Soma 0.1.0\n"
                "cell,model.tau_m (ms),stimulus.amplitude (nA),spikes,rate (Hz),first spike (ms),mean ISI (ms),CV ISI\n"
                "0,1,2.25,0,0,,,\n"
                "1,2,1.5,3,30,2.5,4.25,0.125\n");
    const auto table = soma::read_cell_table(file);
    BOOST_TEST(table.columns == (std::vector<std::string>{"model.tau_m", "stimulus.amplitude"}), boost::test_tools::per_element());
    BOOST_TEST(table.units == (std::vector<std::string>{"ms", "nA"}), boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(table.rows() == 2u);
    BOOST_TEST(table.values[0] == (std::vector<double>{1, 2}), boost::test_tools::per_element());
    BOOST_TEST(table.values[1] == (std::vector<double>{2.25, 1.5}), boost::test_tools::per_element());
    write(file, "cell,spikes\n0,1\n");
    SOMA_CHECK_CONTAINS(table_error(file), ":1: the header names no parameter column");
}

// R's write.csv(df, row.names = FALSE) quotes the header's names: the quotes are not part of them.
BOOST_AUTO_TEST_CASE(read_cell_table_reads_quoted_fields) {
    const TempDir dir;
    const auto file = dir.path() / "from_r.csv";
    write(file, "\"model.g_Na\",\"stimulus.amplitude (uA/cm^2)\"\n100,\"5\"\n120,7.5\n");
    const auto table = soma::read_cell_table(file);
    BOOST_TEST(table.columns == (std::vector<std::string>{"model.g_Na", "stimulus.amplitude"}), boost::test_tools::per_element());
    BOOST_TEST(table.units == (std::vector<std::string>{"", "uA/cm^2"}), boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(table.rows() == 2u);
    BOOST_TEST(table.values[0] == (std::vector<double>{100, 120}), boost::test_tools::per_element());
    BOOST_TEST(table.values[1] == (std::vector<double>{5, 7.5}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(read_cell_table_refuses_bad_files_with_file_and_line) {
    const TempDir dir;
    const auto at = [&](const std::string& name) { return (dir.path() / name).string(); };

    SOMA_CHECK_CONTAINS(table_error(dir.path() / "absent.csv"), at("absent.csv") + ": cannot be read: no such file");
    SOMA_CHECK_CONTAINS(table_error(dir.path()), dir.path().string() + ": cannot be read: it is a directory");

    struct Case {
        std::string text;
        std::string where;  // ":LINE: " or ": "
        std::vector<std::string> parts;
    };
    const std::vector<Case> cases{
        {"", ": ", {"holds no header", "model.g_Na,stimulus.amplitude"}},
        {"# only\n\n  \n", ": ", {"holds no header"}},
        {"model.g_Na\n# no rows\n", ":1: ", {"the header has no rows after it"}},
        {"\ng_Na\n1\n", ":2: ", {"column 1 of the header, 'g_Na', is not a parameter name of the form model.NAME or stimulus.NAME"}},
        {"model.g_Na,network.w\n1,2\n", ":1: ", {"column 2 of the header, 'network.w'"}},
        {"model.\n1\n", ":1: ", {"column 1 of the header, 'model.'"}},
        {"model.g_Na,\n1,2\n", ":1: ", {"column 2 of the header, ''"}},
        {"model.g_Na,model.g_K,model.g_Na\n1,2,3\n", ":1: ", {"column 3 repeats 'model.g_Na' of column 1"}},
        {"model.g_Na,model.g_K\n1,2\n3\n", ":3: ", {"the row has 1 field but the header (line 1) names 2 columns"}},
        {"model.g_Na,model.g_K\n1,2,3\n", ":2: ", {"the row has 3 fields but the header (line 1) names 2 columns"}},
        {"model.g_Na,model.g_K\n1, \n", ":2: ", {"missing value for 'model.g_K' (column 2)"}},
        {"model.g_Na,model.g_K\n1,2\r\nnan,2\n", ":3: ", {"'nan' is not a finite number", "for 'model.g_Na' (column 1)"}},
        {"model.g_Na,model.g_K\n1,-inf\n", ":2: ", {"'-inf' is not a finite number"}},
        {"model.g_Na,model.g_K\n1,2 mS\n", ":2: ", {"'2 mS' is not a number for 'model.g_K' (column 2)", "without a unit"}},
        // A long field is shown by its first 60 bytes (a binary file's first "line" can be kilobytes).
        {std::string(70, 'x') + "\n1\n", ":1: ",
         {"column 1 of the header, '" + std::string(60, 'x') + "...' (70 bytes), is not a parameter name"}},
        {"model.g_Na\n" + std::string(100, '7') + "e\n", ":2: ", {"'" + std::string(60, '7') + "...' (101 bytes) is not a number"}},
        {std::string("\x7f" "ELF\x02\x01\x01\0\0\0,model.g_Na\n1\n", 22), ":1: ", {"holds a NUL byte: this is not a text table"}},
        // pandas' to_csv and R's write.csv write an unnamed row index first by default.
        {",model.g_Na\n0,100\n", ":1: ", {"column 1 of the header has no name: a row index", "index=False", "row.names = FALSE"}},
        {"\"\",\"model.g_Na\"\n\"1\",100\n", ":1: ", {"column 1 of the header has no name"}},
        // A `cell` column numbers the rows in order: it cannot reorder or repeat them.
        {"cell,model.g_Na\n1,100\n0,130\n", ":2: ", {"column 'cell' (column 1) gives '1' where this row is cell 0"}},
        {"cell,model.g_Na\n0,100\n0,130\n", ":3: ", {"gives '0' where this row is cell 1", "number them 0, 1, 2"}},
        {"model.g_Na,cell\n100,zero\n", ":2: ", {"column 'cell' (column 2) gives 'zero' where this row is cell 0"}},
    };
    int k = 0;
    for (const auto& c : cases) {
        const auto name = "table" + std::to_string(++k) + ".csv";
        write(dir.path() / name, c.text);
        BOOST_TEST_CONTEXT(name << ": " << c.text) {
            const auto message = table_error(dir.path() / name);
            BOOST_TEST(message.starts_with(at(name) + c.where), message);
            for (const auto& part : c.parts) SOMA_CHECK_CONTAINS(message, part);
        }
    }
}
