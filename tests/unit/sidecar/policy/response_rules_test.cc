// The built-in response rules against replies real receivers send (texts as they arrive, with
// the enhanced code split off as the SMTP client does), and look-alikes that must not match.
#include "sidecar/policy/response_rules.h"

#include <gtest/gtest.h>

namespace mailroom::policy {
namespace {

struct Case {
  int code;
  const char* enhanced;
  const char* text;
  const char* mxHost;
  const char* rule;  // nullptr: no rule
};

const Case kCases[] = {
    {421, "4.7.28",
     "[198.51.100.10] Our system has detected an unusual rate of unsolicited mail originating "
     "from your IP address. To protect our users from spam, mail sent from your IP address has "
     "been temporarily rate limited. Please visit\n "
     "https://support.google.com/mail/?p=UnsolicitedRateLimitError to review our Bulk Email "
     "Senders Guidelines. a1-20020a05 - gsmtp",
     "gmail-smtp-in.l.google.com", "gmail-rate-limited"},
    {550, "5.7.25",
     "[2001:db8:5::10] The IP address sending this message does not have a\nPTR record setup, "
     "or the corresponding forward DNS entry does not point to the sending IP. As a policy, "
     "Gmail does not accept messages from IPs with missing PTR records. - gsmtp",
     "gmail-smtp-in.l.google.com", "gmail-no-ptr"},
    {550, "5.7.26",
     "This mail is unauthenticated, which poses a security risk to the sender and Gmail users, "
     "and has been blocked. The sender must authenticate with at least one of SPF or DKIM. - "
     "gsmtp",
     "gmail-smtp-in.l.google.com", "gmail-unauthenticated"},
    {421, "4.7.0",
     "[TSS04] Messages from 198.51.100.10 temporarily deferred due to unexpected volume or user "
     "complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
     "mta5.am0.yahoodns.net", "yahoo-tss04"},
    {550, "5.7.1",
     "Unfortunately, messages from [198.51.100.10] weren't sent. Please contact your Internet "
     "service provider since part of their network is on our block list (S3150). You can also "
     "refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
     "example-com.mail.protection.outlook.com", "microsoft-blocklist-s3150"},
    {421, "4.7.0",
     "Too many concurrent SMTP connections from this IP address; please try again later.",
     "mx.example.net", "too-many-connections"},
    {421, "4.7.0", "mx.example.net Error: too many connections from 198.51.100.10",
     "mx.example.net", "too-many-connections"},
    // Not rules: a mailbox, the RCPT limit, a plain tempfail, a success.
    {550, "5.1.1", "The email account that you tried to reach does not exist.",
     "gmail-smtp-in.l.google.com", nullptr},
    {452, "4.5.3", "Error: too many recipients", "mx.example.net", nullptr},
    {421, "4.7.0", "Try again later, closing connection. (EHLO)", "gmail-smtp-in.l.google.com",
     nullptr},
    {450, "4.7.1", "Client host rejected: cannot find your reverse hostname", "mx.example.net",
     nullptr},
    {250, "2.0.0", "OK (S3150) [TSS04]", "mx.example.net", nullptr},
};

TEST(ResponseRules, DefaultTableOnRealReplies) {
  for (const auto& c : kCases) {
    const ResponseRule* r =
        matchResponse(defaultResponseRules(), c.code, c.enhanced, c.text, c.mxHost);
    if (!c.rule) {
      EXPECT_EQ(r, nullptr) << c.code << " " << c.text << " matched " << (r ? r->name : "");
    } else {
      ASSERT_NE(r, nullptr) << c.code << " " << c.text;
      EXPECT_EQ(r->name, c.rule) << c.text;
    }
  }
  const auto* gmail = matchResponse(defaultResponseRules(), 421, "4.7.28", "", "x");
  ASSERT_NE(gmail, nullptr);
  EXPECT_EQ(gmail->action, ResponseAction::kDeferDestination);
  EXPECT_EQ(gmail->duration, std::chrono::minutes(30));
  EXPECT_STREQ(responseActionName(gmail->action), "defer-destination");
}

// A table given before the defaults wins; the MX suffix matches at a label boundary only.
TEST(ResponseRules, FirstMatchWinsAndMxSuffixIsALabelSuffix) {
  std::vector<ResponseRule> rules;
  rules.push_back({"google-any-421",
                   {421},
                   "",
                   std::nullopt,
                   "google.com",
                   ResponseAction::kPause,
                   std::chrono::hours(1)});
  rules.insert(rules.end(), defaultResponseRules().begin(), defaultResponseRules().end());
  const auto* r = matchResponse(rules, 421, "4.7.28", "rate limited", "gmail-smtp-in.l.google.com");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->name, "google-any-421");
  r = matchResponse(rules, 421, "4.7.28", "rate limited", "mx.evilgoogle.com");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->name, "gmail-rate-limited");  // the suffix did not match: the default did
  EXPECT_EQ(matchResponse(rules, 421, "", "x", "GOOGLE.COM")->name, "google-any-421");
}

}  // namespace
}  // namespace mailroom::policy
