package io.evasan.iscsi.realclient;

import io.evasan.iscsi.IscsiTargetConfig;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * libiscsi's conformance suite (iscsi-test-cu) against our target over the scsi executor with a
 * thin in-memory LUN, run honestly: one process per suite ({@code -t ALL.<suite>}), {@code -d} for
 * data-changing tests, {@code -v} verbose, two URLs to the same LUN over two connections
 * (MultipathIO). Each test is classified from the verbose log — a test with a {@code [SKIPPED]} line
 * is a skip, never a pass — and the table is written to {@code target/iscsi-test-cu-report.md}.
 * The test fails on any failure or skip in {@link #CLAIMED} suites.
 */
class LibiscsiConformanceTest {

    /** Suites that pass fully (no failure, no skip) on this transport and the current executor. */
    static final Set<String> CLAIMED = Set.of(
            "CompareAndWrite", "ExtendedCopy", "Inquiry", "Mandatory", "ModeSense6", "MultipathIO", "NoMedia", "OrWrite",
            "Prefetch10", "Prefetch16",
            "PrinReadKeys", "PrinReportCapabilities", "PrinServiceactionRange",
            "ProutClear", "ProutPreempt", "ProutRegister", "ProutReserve",
            "Read6", "Read10", "Read12", "Read16", "ReadCapacity10", "ReadCapacity16",
            "ReadDefectData10", "ReadDefectData12", "ReceiveCopyResults",
            "ReportSupportedOpcodes", "Reserve6", "TestUnitReady", "Unmap",
            "Verify10", "Verify12", "Verify16", "Write10", "Write12", "Write16",
            "WriteAtomic16", "WriteSame10", "WriteSame16",
            "WriteVerify10", "WriteVerify12", "WriteVerify16",
            "iSCSIcmdsn", "iSCSIdatasn", "iSCSIResiduals", "iSCSITMF");

    /** Pass/skip/fail of one suite, with the names of the tests that did not pass. */
    record SuiteResult(String suite, int pass, int skip, int fail, List<String> skipped, List<String> failed) {
    }

    private static final Pattern TEST_LINE = Pattern.compile("^\\s+Test: (\\S+) \\.\\.\\.(.*)$");

    /** Classifies every test of one verbose iscsi-test-cu log. */
    static SuiteResult parse(String suite, String log) {
        Map<String, int[]> tests = new LinkedHashMap<>(); // [skip, fail, pass]
        String cur = null;
        for (String line : log.split("\n")) {
            Matcher m = TEST_LINE.matcher(line);
            if (m.matches()) {
                cur = m.group(1);
                tests.put(cur, new int[3]);
                verdict(tests.get(cur), m.group(2).trim());
                continue;
            }
            if (cur == null) {
                continue;
            }
            if (line.startsWith("Run Summary")) {
                cur = null;
                continue;
            }
            verdict(tests.get(cur), line.trim());
        }
        int p = 0;
        int s = 0;
        int f = 0;
        List<String> skipped = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (Map.Entry<String, int[]> e : tests.entrySet()) {
            int[] v = e.getValue();
            if (v[1] > 0 || v[2] == 0) {
                f++;
                failed.add(e.getKey());
            } else if (v[0] > 0) {
                s++;
                skipped.add(e.getKey());
            } else {
                p++;
            }
        }
        return new SuiteResult(suite, p, s, f, skipped, failed);
    }

    private static void verdict(int[] v, String text) {
        if (text.contains("[SKIPPED]")) {
            v[0]++;
        }
        // CUnit prints the verdict right after the test's output: "passed" or "FAILED" at line start
        if (text.startsWith("FAILED")) {
            v[1]++;
        } else if (text.startsWith("passed")) {
            v[2]++;
        }
    }

    @Test
    void shouldParseVerboseLogsCountingSkipsSeparately() {
        String log = """
                Suite: X
                  Test: A ...passed
                  Test: B ...    [SKIPPED] not implemented.
                passed
                  Test: C ...
                    [FAILED] WRITE10 failed as expected
                passed    [FAILED] PRIN teardown noise
                  Test: D ...    First block wrong
                FAILED
                    1. x.c:1 - CU_ASSERT
                Run Summary: ...
                """;
        SuiteResult r = parse("X", log);
        assertEquals(2, r.pass());
        assertEquals(1, r.skip());
        assertEquals(1, r.fail());
        assertEquals(List.of("B"), r.skipped());
        assertEquals(List.of("D"), r.failed());
    }

    @Test
    void shouldPassIscsiTestCuInClaimedSuites() throws Exception {
        RealClients.requireTool("iscsi-test-cu");
        Path dir = Paths.get("target", "iscsi-test-cu");
        Files.createDirectories(dir);
        List<SuiteResult> results = new ArrayList<>();
        try (RealClients.Fixture fx = RealClients.start(100L << 20, IscsiTargetConfig.create())) {
            RealClients.Run list = RealClients.run(30, "iscsi-test-cu", "--list");
            assertEquals(0, list.exit(), list.output());
            Set<String> suites = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
            List<String> ordered = new ArrayList<>();
            for (String line : list.output().split("\n")) {
                Matcher m = Pattern.compile("^ALL\\.([^.\\s]+)$").matcher(line.trim());
                if (m.matches() && suites.add(m.group(1))) {
                    ordered.add(m.group(1));
                }
            }
            assertTrue(ordered.size() > 40, "suite list: " + ordered);
            String url = fx.url(0);
            long deadline = System.nanoTime() + 360_000_000_000L; // keep the module inside its CI budget
            for (String suite : ordered) {
                long left = (deadline - System.nanoTime()) / 1_000_000_000L;
                assertTrue(left > 5, "iscsi-test-cu run exceeded its 6-minute budget before suite " + suite);
                RealClients.Run r = RealClients.run(Math.min(90, left), dir.resolve(suite + ".log"),
                        "iscsi-test-cu", "-d", "-v", "-t", "ALL." + suite, url, url);
                SuiteResult sr = parse(suite, r.output());
                if (r.exit() == -1) {
                    sr = new SuiteResult(suite, sr.pass(), sr.skip(), sr.fail() + 1, sr.skipped(),
                            append(sr.failed(), "(timeout)"));
                }
                results.add(sr);
            }
        }
        String report = report(results);
        Files.writeString(Paths.get("target", "iscsi-test-cu-report.md"), report, StandardCharsets.UTF_8);
        System.out.println(report);
        List<String> problems = new ArrayList<>();
        for (SuiteResult r : results) {
            if (CLAIMED.contains(r.suite()) && (r.fail() > 0 || r.skip() > 0)) {
                problems.add(r.suite() + " failed=" + r.failed() + " skipped=" + r.skipped());
            }
        }
        Set<String> seen = new TreeSet<>();
        results.forEach(r -> seen.add(r.suite()));
        for (String c : CLAIMED) {
            if (!seen.contains(c)) {
                problems.add(c + " not run");
            }
        }
        assertEquals(List.of(), problems, "claimed suites must pass fully; see target/iscsi-test-cu/<suite>.log");
    }

    /** The ReadOnly suite skips on a writable LU; run it against a write-protected one. */
    @Test
    void shouldPassTheReadOnlySuiteOnAWriteProtectedLun() throws Exception {
        RealClients.requireTool("iscsi-test-cu");
        Path dir = Paths.get("target", "iscsi-test-cu-readonly");
        Files.createDirectories(dir);
        try (RealClients.Fixture fx = RealClients.start(16L << 20, IscsiTargetConfig.create())) {
            fx.lu().setWriteProtected(true);
            RealClients.Run r = RealClients.run(90, dir.resolve("ReadOnly.log"),
                    "iscsi-test-cu", "-d", "-v", "-t", "ALL.ReadOnly", fx.url(0));
            SuiteResult sr = parse("ReadOnly", r.output());
            assertEquals(0, r.exit(), r.output());
            assertTrue(sr.pass() > 0 && sr.fail() == 0 && sr.skip() == 0, sr + "\n" + r.output());
        }
    }

    /** Core suites again over CHAP-authenticated sessions with CRC32C header digests. */
    @Test
    void shouldPassCoreSuitesWithChapAndHeaderDigests() throws Exception {
        RealClients.requireTool("iscsi-test-cu");
        Path dir = Paths.get("target", "iscsi-test-cu-chap");
        Files.createDirectories(dir);
        String initiator = "iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test"; // iscsi-test-cu's default name
        List<String> problems = new ArrayList<>();
        try (RealClients.Fixture fx = RealClients.start(64L << 20,
                IscsiTargetConfig.create().chap(initiator, "cuuser", "cu-secret-1234").headerDigestRequired(true))) {
            // libiscsi offers HeaderDigest=None,CRC32C; headerDigestRequired makes the target pick CRC32C
            String url = "iscsi://cuuser%cu-secret-1234@127.0.0.1:" + fx.port() + "/" + RealClients.IQN + "/0";
            for (String suite : List.of("Read10", "Write10", "WriteVerify16", "iSCSIcmdsn", "iSCSIdatasn", "iSCSITMF")) {
                RealClients.Run r = RealClients.run(90, dir.resolve(suite + ".log"),
                        "iscsi-test-cu", "-d", "-v", "-t", "ALL." + suite, url);
                SuiteResult sr = parse(suite, r.output());
                if (r.exit() != 0 || sr.fail() > 0 || sr.skip() > 0 || sr.pass() == 0) {
                    problems.add(suite + " exit=" + r.exit() + " " + sr);
                }
            }
            String wrong = "iscsi://cuuser%wrong-secret-99@127.0.0.1:" + fx.port() + "/" + RealClients.IQN + "/0";
            RealClients.Run refused = RealClients.run(60, "iscsi-test-cu", "-d", "-t", "ALL.TestUnitReady", wrong);
            if (refused.exit() == 0 || refused.output().contains("Test: Simple ...passed")) {
                problems.add("wrong CHAP secret was not refused: " + refused.output());
            }
        }
        assertEquals(List.of(), problems, "see target/iscsi-test-cu-chap/<suite>.log");
    }

    private static List<String> append(List<String> l, String s) {
        List<String> n = new ArrayList<>(l);
        n.add(s);
        return n;
    }

    static String report(List<SuiteResult> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("# iscsi-test-cu report (libiscsi, one process per suite, -d -v, two paths, thin LUN)\n\n");
        sb.append("| suite | pass | skip | fail | claimed | skipped tests | failed tests |\n");
        sb.append("|---|---:|---:|---:|---|---|---|\n");
        int p = 0;
        int s = 0;
        int f = 0;
        for (SuiteResult r : results) {
            sb.append("| ").append(r.suite()).append(" | ").append(r.pass()).append(" | ").append(r.skip())
                    .append(" | ").append(r.fail()).append(" | ").append(CLAIMED.contains(r.suite()) ? "yes" : "")
                    .append(" | ").append(String.join(", ", r.skipped())).append(" | ")
                    .append(String.join(", ", r.failed())).append(" |\n");
            p += r.pass();
            s += r.skip();
            f += r.fail();
        }
        sb.append("| **total** | ").append(p).append(" | ").append(s).append(" | ").append(f).append(" | | | |\n");
        return sb.toString();
    }
}
