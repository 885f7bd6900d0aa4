// Unit tests for the case format's field predicates: for each rule, values
// just inside and just outside it.
#include "protocol/case_rules.h"

#include <gtest/gtest.h>

#include <string>

namespace allmenning::rules {
namespace {

TEST(CaseRules, OrgnrAcceptsRealNumbers) {
  EXPECT_TRUE(isValidOrgnr("958935420"));  // Oslo kommune
  EXPECT_TRUE(isValidOrgnr("817920632"));  // Trøndelag fylkeskommune
  EXPECT_TRUE(isValidOrgnr("974760673"));  // Brønnøysundregistrene
}

TEST(CaseRules, OrgnrRefusesBadChecksum) {
  EXPECT_FALSE(isValidOrgnr("958935421"));
  EXPECT_FALSE(isValidOrgnr("817920633"));
}

TEST(CaseRules, OrgnrWhereSumGivesControlZero) {
  // 958935420: the weighted sum is 198 = 18 * 11, so 11 - 0 = 11 maps to 0.
  EXPECT_TRUE(isValidOrgnr("958935420"));
  EXPECT_FALSE(isValidOrgnr("958935429"));
}

TEST(CaseRules, OrgnrWhereControlWouldBeTenIsNeverValid) {
  // 100000016: weighted sum 1*3 + 1*2 = 5, control 11 - 5 = 6.
  EXPECT_TRUE(isValidOrgnr("100000016"));
  // 40000000x: weighted sum 4*3 = 12, 12 % 11 = 1, control 10: no last digit fits.
  for (char last = '0'; last <= '9'; ++last) {
    EXPECT_FALSE(isValidOrgnr(std::string("40000000") + last)) << last;
  }
}

TEST(CaseRules, OrgnrRefusesWrongShape) {
  EXPECT_FALSE(isValidOrgnr(""));
  EXPECT_FALSE(isValidOrgnr("95893542"));    // 8 digits
  EXPECT_FALSE(isValidOrgnr("9589354200"));  // 10 digits
  EXPECT_FALSE(isValidOrgnr("958 935 420"));
  EXPECT_FALSE(isValidOrgnr("95893542a"));
  EXPECT_FALSE(isValidOrgnr("-58935420"));
}

TEST(CaseRules, Kommunenummer) {
  EXPECT_TRUE(isValidKommunenummer("0301"));
  EXPECT_TRUE(isValidKommunenummer("3433"));
  EXPECT_FALSE(isValidKommunenummer("301"));
  EXPECT_FALSE(isValidKommunenummer("03011"));
  EXPECT_FALSE(isValidKommunenummer("03a1"));
  EXPECT_FALSE(isValidKommunenummer(""));
}

TEST(CaseRules, Cpv) {
  EXPECT_TRUE(isValidCpv("45000000-7"));
  EXPECT_TRUE(isValidCpv("72212000-4"));
  EXPECT_TRUE(isValidCpv("45000000"));  // without its check digit
  EXPECT_FALSE(isValidCpv("4500000"));
  EXPECT_FALSE(isValidCpv("450000000"));
  EXPECT_FALSE(isValidCpv("4500000-7"));
  EXPECT_FALSE(isValidCpv("45000000-"));
  EXPECT_FALSE(isValidCpv("45000000-77"));
  EXPECT_FALSE(isValidCpv("45000000 7"));
  EXPECT_FALSE(isValidCpv("4500000a-7"));
}

TEST(CaseRules, Id) {
  EXPECT_TRUE(isValidId("a"));
  EXPECT_TRUE(isValidId("0"));
  EXPECT_TRUE(isValidId("flomvarsling-ottadalen"));
  EXPECT_TRUE(isValidId("a-"));
  EXPECT_TRUE(isValidId(std::string(80, 'x')));
  EXPECT_FALSE(isValidId(std::string(81, 'x')));
  EXPECT_FALSE(isValidId(""));
  EXPECT_FALSE(isValidId("-a"));
  EXPECT_FALSE(isValidId("Flom"));
  EXPECT_FALSE(isValidId("flom_varsling"));
  EXPECT_FALSE(isValidId("flom varsling"));
  EXPECT_FALSE(isValidId("skjåk"));
}

TEST(CaseRules, DateAcceptsRealDates) {
  EXPECT_TRUE(isValidDate("2023-01-31"));
  EXPECT_TRUE(isValidDate("2024-02-29"));  // leap year
  EXPECT_TRUE(isValidDate("2000-02-29"));  // divisible by 400
  EXPECT_TRUE(isValidDate("2023-12-31"));
}

TEST(CaseRules, DateRefusesImpossibleDates) {
  EXPECT_FALSE(isValidDate("2023-02-29"));
  EXPECT_FALSE(isValidDate("2023-02-30"));
  EXPECT_FALSE(isValidDate("1900-02-29"));  // divisible by 100, not 400
  EXPECT_FALSE(isValidDate("2023-04-31"));
  EXPECT_FALSE(isValidDate("2023-13-01"));
  EXPECT_FALSE(isValidDate("2023-00-10"));
  EXPECT_FALSE(isValidDate("2023-01-00"));
  EXPECT_FALSE(isValidDate("0000-01-01"));
}

TEST(CaseRules, DateRefusesOtherShapes) {
  EXPECT_FALSE(isValidDate("2023-1-01"));
  EXPECT_FALSE(isValidDate("2023/01/01"));
  EXPECT_FALSE(isValidDate("01.02.2023"));
  EXPECT_FALSE(isValidDate("2023-01-01T00:00"));
  EXPECT_FALSE(isValidDate("2023-0a-01"));
  EXPECT_FALSE(isValidDate(""));
}

TEST(CaseRules, DoffinId) {
  EXPECT_TRUE(isValidDoffinId("2023-123456"));
  EXPECT_FALSE(isValidDoffinId("2023-12345"));
  EXPECT_FALSE(isValidDoffinId("2023-1234567"));
  EXPECT_FALSE(isValidDoffinId("23-123456"));
  EXPECT_FALSE(isValidDoffinId("2023_123456"));
  EXPECT_FALSE(isValidDoffinId("2023-12345a"));
}

TEST(CaseRules, Utf8AcceptsWellFormedText) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8("Trøndelag, Skjåk, Æ"));
  EXPECT_TRUE(isValidUtf8("\xE2\x82\xAC"));          // U+20AC euro sign
  EXPECT_TRUE(isValidUtf8("\xF0\x9F\x98\x80"));      // U+1F600, four bytes
  EXPECT_TRUE(isValidUtf8("\xEF\xBF\xBF"));          // U+FFFF
  EXPECT_TRUE(isValidUtf8("\xF4\x8F\xBF\xBF"));      // U+10FFFF, the last code point
  EXPECT_TRUE(isValidUtf8(std::string("a\0b", 3)));  // NUL is well-formed UTF-8
}

TEST(CaseRules, Utf8RefusesOverlongForms) {
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));  // '/' in two bytes
  EXPECT_FALSE(isValidUtf8("\xC1\xBF"));
  EXPECT_FALSE(isValidUtf8("\xE0\x80\xAF"));      // '/' in three bytes
  EXPECT_FALSE(isValidUtf8("\xF0\x80\x80\xAF"));  // '/' in four bytes
}

TEST(CaseRules, Utf8RefusesSurrogatesAndOutOfRange) {
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // U+D800
  EXPECT_FALSE(isValidUtf8("\xED\xBF\xBF"));      // U+DFFF
  EXPECT_TRUE(isValidUtf8("\xED\x9F\xBF"));       // U+D7FF, just below
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(isValidUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(isValidUtf8("\xFF"));
}

TEST(CaseRules, Utf8RefusesTruncatedAndStraySequences) {
  EXPECT_FALSE(isValidUtf8("\xC3"));          // lead byte at the end
  EXPECT_FALSE(isValidUtf8("ab\xE2\x82"));    // 2 of 3 bytes
  EXPECT_FALSE(isValidUtf8("\xF0\x9F\x98"));  // 3 of 4 bytes
  EXPECT_FALSE(isValidUtf8("\xC3x"));         // continuation missing
  EXPECT_FALSE(isValidUtf8("\x80"));          // stray continuation byte
  EXPECT_FALSE(isValidUtf8("a\xA5z"));
  EXPECT_FALSE(isValidUtf8("\xE2\x28\xA1"));  // bad second byte
}

TEST(CaseRules, CodePoints) {
  EXPECT_EQ(codePoints(""), 0u);
  EXPECT_EQ(codePoints("abc"), 3u);
  EXPECT_EQ(codePoints("Skjåk"), 5u);
  EXPECT_EQ(codePoints("\xE2\x82\xAC\xF0\x9F\x98\x80"), 2u);
}

}  // namespace
}  // namespace allmenning::rules
