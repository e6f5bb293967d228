package io.evasan.iscsi.realclient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * libiscsi's conformance suite (iscsi-test-cu) run honestly against any iSCSI URL: one process per
 * suite ({@code -t ALL.<suite>}), {@code -d} for data-changing tests, {@code -v} verbose, two URLs to
 * the same LUN over two connections (MultipathIO). Each test is classified from the verbose log — a
 * test with a {@code [SKIPPED]} line is a skip, never a pass. Shared (test-jar) with the end-to-end
 * tests, which run it against the whole appliance.
 */
public final class IscsiTestCu {
    private IscsiTestCu() {
    }

    /** Suites that pass fully (no failure, no skip) on this transport and the current executor. */
    public static final Set<String> CLAIMED = Set.of(
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
    public record SuiteResult(String suite, int pass, int skip, int fail, List<String> skipped, List<String> failed) {
    }

    private static final Pattern TEST_LINE = Pattern.compile("^\\s+Test: (\\S+) \\.\\.\\.(.*)$");

    /** Classifies every test of one verbose iscsi-test-cu log. */
    public static SuiteResult parse(String suite, String log) {
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


    /**
     * Runs every suite of {@code iscsi-test-cu --list} against {@code url} (given twice: two
     * connections, so MultipathIO runs), one process per suite, {@code -d -v}, each log saved under
     * {@code logDir}; stops with a failure when the whole run exceeds {@code budgetSeconds}.
     */
    public static List<SuiteResult> runAll(String url, Path logDir, long budgetSeconds) throws Exception {
        Files.createDirectories(logDir);
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
        return runSuites(url, logDir, budgetSeconds, ordered);
    }

    /**
     * Runs the named suites against {@code url} with the same rules as {@link #runAll}: two
     * connections, one process per suite, {@code -d -v}, logs under {@code logDir}.
     */
    public static List<SuiteResult> runSuites(String url, Path logDir, long budgetSeconds, List<String> ordered)
            throws Exception {
        return runSuites(url, url, logDir, budgetSeconds, ordered);
    }

    /**
     * As {@link #runSuites(String, Path, long, List)} with the second connection to {@code url2} (another portal of
     * the same LU: MultipathIO then runs across two target ports).
     */
    public static List<SuiteResult> runSuites(String url, String url2, Path logDir, long budgetSeconds,
                                              List<String> ordered) throws Exception {
        Files.createDirectories(logDir);
        List<SuiteResult> results = new ArrayList<>();
        long deadline = System.nanoTime() + budgetSeconds * 1_000_000_000L;
        for (String suite : ordered) {
            long left = (deadline - System.nanoTime()) / 1_000_000_000L;
            assertTrue(left > 5, "iscsi-test-cu run exceeded its " + budgetSeconds + " s budget before suite " + suite);
            RealClients.Run r = RealClients.run(Math.min(240, left), logDir.resolve(suite + ".log"),
                    "iscsi-test-cu", "-d", "-v", "-t", "ALL." + suite, url, url2);
            SuiteResult sr = parse(suite, r.output());
            if (r.exit() == -1) {
                sr = new SuiteResult(suite, sr.pass(), sr.skip(), sr.fail() + 1, sr.skipped(),
                        append(sr.failed(), "(timeout)"));
            }
            results.add(sr);
        }
        return results;
    }

    /** Failures or skips in claimed suites, and claimed suites that did not run: empty when conformant. */
    public static List<String> problems(List<SuiteResult> results) {
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
        return problems;
    }

    private static List<String> append(List<String> l, String s) {
        List<String> n = new ArrayList<>(l);
        n.add(s);
        return n;
    }

    public static String report(List<SuiteResult> results) {
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
