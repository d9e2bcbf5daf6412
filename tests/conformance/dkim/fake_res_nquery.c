/* LD_PRELOAD shim so that OpenDKIM's opendkim-testmsg (libopendkim, which looks keys up with
 * glibc's res_nquery) verifies without any DNS traffic: TXT queries are answered from the file
 * named by MAILROOM_FAKE_TXT, one record per line "<name> <TXT value>" (strings joined); other
 * names get NXDOMAIN. The answer is a real DNS message (RFC 1035 §4.1) so libopendkim parses
 * it exactly as it would a server's. Test-only; never linked into anything. */
#include <arpa/nameser.h>
#include <ctype.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int lookup(const char* name, char* value, size_t cap) {
  const char* path = getenv("MAILROOM_FAKE_TXT");
  if (!path) return 0;
  FILE* f = fopen(path, "r");
  if (!f) return 0;
  char line[8192];
  size_t nlen = strlen(name);
  while (nlen && name[nlen - 1] == '.') --nlen;
  int found = 0;
  while (fgets(line, sizeof line, f)) {
    char* sp = strchr(line, ' ');
    if (!sp) continue;
    size_t klen = (size_t)(sp - line);
    if (klen == nlen && strncasecmp(line, name, nlen) == 0) {
      size_t vlen = strcspn(sp + 1, "\r\n");
      if (vlen >= cap) vlen = cap - 1;
      memcpy(value, sp + 1, vlen);
      value[vlen] = '\0';
      found = 1;
      break;
    }
  }
  fclose(f);
  return found;
}

/* Writes name as DNS labels; returns bytes written or -1. */
static int putName(const char* name, unsigned char* out, int cap) {
  int n = 0;
  const char* p = name;
  while (*p) {
    const char* dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    if (len == 0 || len > 63 || n + (int)len + 1 >= cap) break;
    out[n++] = (unsigned char)len;
    memcpy(out + n, p, len);
    n += (int)len;
    p += len;
    if (*p == '.') ++p;
  }
  if (n + 1 > cap) return -1;
  out[n++] = 0;
  return n;
}

int res_nquery(res_state state, const char* dname, int class, int type, unsigned char* answer,
               int anslen) {
  (void)state;
  char value[4096];
  int found = type == ns_t_txt && class == ns_c_in && lookup(dname, value, sizeof value);
  if (anslen < 512) return -1;
  unsigned char* p = answer;
  memset(p, 0, 12);
  p[2] = 0x84; /* QR, AA */
  p[3] = found ? 0 : 3; /* NOERROR / NXDOMAIN */
  p[5] = 1;             /* QDCOUNT */
  p[7] = found ? 1 : 0; /* ANCOUNT */
  int n = 12;
  int qn = putName(dname, p + n, anslen - n - 4);
  if (qn < 0) return -1;
  n += qn;
  p[n++] = 0, p[n++] = (unsigned char)type, p[n++] = 0, p[n++] = (unsigned char)class;
  if (!found) {
    h_errno = HOST_NOT_FOUND;
    return -1;
  }
  size_t vlen = strlen(value);
  size_t strings = (vlen + 254) / 255;
  if (strings == 0) strings = 1;
  size_t rdlen = vlen + strings;
  if ((size_t)n + 12 + rdlen > (size_t)anslen) return -1;
  p[n++] = 0xc0, p[n++] = 12; /* pointer to the question name */
  p[n++] = 0, p[n++] = ns_t_txt, p[n++] = 0, p[n++] = ns_c_in;
  p[n++] = 0, p[n++] = 0, p[n++] = 1, p[n++] = 0x2c; /* TTL 300 */
  p[n++] = (unsigned char)(rdlen >> 8), p[n++] = (unsigned char)(rdlen & 0xff);
  for (size_t off = 0; off < vlen || (off == 0 && vlen == 0); off += 255) {
    size_t len = vlen - off < 255 ? vlen - off : 255;
    p[n++] = (unsigned char)len;
    memcpy(p + n, value + off, len);
    n += (int)len;
    if (vlen == 0) break;
  }
  return n;
}
