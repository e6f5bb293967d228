package io.evasan.iscsi.realclient;

import io.evasan.iscsi.IscsiTargetConfig;
import org.junit.jupiter.api.Test;

import io.evasan.iscsi.realclient.IscsiTestCu.SuiteResult;

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
 * The test fails on any failure or skip in {@link IscsiTestCu#CLAIMED} suites.
 */
class LibiscsiConformanceTest {


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
        SuiteResult r = IscsiTestCu.parse("X", log);
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
        List<SuiteResult> results;
        try (RealClients.Fixture fx = RealClients.start(100L << 20, IscsiTargetConfig.create())) {
            // keep the module inside its CI budget
            results = IscsiTestCu.runAll(fx.url(0), dir, 360);
        }
        String report = IscsiTestCu.report(results);
        Files.writeString(Paths.get("target", "iscsi-test-cu-report.md"), report, StandardCharsets.UTF_8);
        System.out.println(report);
        List<String> problems = IscsiTestCu.problems(results);
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
            SuiteResult sr = IscsiTestCu.parse("ReadOnly", r.output());
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
                SuiteResult sr = IscsiTestCu.parse(suite, r.output());
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

}
