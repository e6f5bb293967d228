package io.evasan.deploy;

import io.evasan.raid.JvmFlags;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher stops cleanly on SIGINT and SIGTERM (issue 11, point 8), also when a script starts it as a
 * background job — which starts it with SIGINT ignored, a disposition a JVM cannot undo by itself.
 * {@code ../appliance.sh} runs from this module's class path (EVASAN_APPLIANCE_CLASSPATH), so no build is needed.
 */
class LauncherSignalTest {
    static final Path SCRIPT = Path.of("..", "appliance.sh").toAbsolutePath().normalize();

    /** The script line that starts the launcher: appliance.sh with free ports and a small first LUN, output to {@code log}. */
    private static String launch(Path data, Path log) {
        return "env EVASAN_APPLIANCE_CLASSPATH='" + System.getProperty("java.class.path") + "' '" + SCRIPT + "' --data-dir '" + data
                + "' --iscsi-port 0 --mgmt-port 0 --first-lun-size 16777216 > '" + log + "' 2>&1";
    }

    /** Runs {@code script} with bash (non-interactive, no job control) and returns its stdout. */
    private static String bash(String script) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "script finished");
        return out;
    }

    private static String waitForLine(Path log, String prefix, ProcessHandle h) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            if (text.lines().anyMatch(l -> l.startsWith(prefix))) {
                return text;
            }
            if (h != null && !h.isAlive()) {
                throw new AssertionError("launcher exited before '" + prefix + "':\n" + text);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no '" + prefix + "' within 180 s:\n" + (Files.exists(log) ? Files.readString(log) : ""));
    }

    private static void signal(long pid, String sig) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor());
    }

    private static String sigIgn(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("SigIgn:")) {
                return l.substring(7).trim();
            }
        }
        return "?";
    }

    /** Starts the launcher in the background from a script, sends {@code sig}, and expects a clean stop. */
    private static void backgroundStopsOn(String sig, Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path log = dir.resolve("launcher.log");
        String pidText = bash(launch(data, log) + " &\necho $!\n").strip();
        long pid = Long.parseLong(pidText.lines().reduce((a, b) -> b).orElseThrow());
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        assertTrue(h.isPresent(), "launcher process " + pid + " alive");
        try {
            waitForLine(log, "evasan: running", h.get());
            String ignored = sigIgn(pid);
            signal(pid, sig);
            try {
                h.get().onExit().get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("SIG" + sig + " did not stop the launcher started in the background (SigIgn "
                        + ignored + "):\n" + Files.readString(log));
            }
            String after = Files.readString(log);
            assertTrue(after.contains("Ctrl-C (SIGINT)"), "the launcher said it can be stopped with Ctrl-C:\n" + after);
            assertTrue(after.contains("evasan: stopping (SIG" + sig + ")"), after);
            assertTrue(after.contains("evasan: stopped"), "closed cleanly:\n" + after);
        } finally {
            if (h.get().isAlive()) {
                h.get().destroyForcibly();
                h.get().onExit().get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void shouldStopCleanlyOnSigintWhenAScriptStartsItInTheBackground(@TempDir Path dir) throws Exception {
        backgroundStopsOn("INT", dir);
    }

    @Test
    void shouldStopCleanlyOnSigtermWhenAScriptStartsItInTheBackground(@TempDir Path dir) throws Exception {
        backgroundStopsOn("TERM", dir);
    }

    @Test
    void shouldStopCleanlyOnSigintInTheForeground(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path log = dir.resolve("launcher.log");
        Process p = new ProcessBuilder("bash", "-c", "exec " + launch(data, log)).start();
        try {
            waitForLine(log, "evasan: running", p.toHandle());
            signal(p.pid(), "INT");
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "SIGINT stopped the launcher");
            assertEquals(0, p.exitValue(), "a clean stop exits 0");
            assertTrue(Files.readString(log).contains("evasan: stopped"), Files.readString(log));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void shouldSayWhenSigintCannotBeCaughtAndStillStopOnSigterm(@TempDir Path dir) throws Exception {
        // the JVM started directly (not through appliance.sh) as a background job: SIGINT stays ignored
        Path data = dir.resolve("data");
        Path log = dir.resolve("launcher.log");
        List<String> cmd = new ArrayList<>();
        cmd.add("'" + Path.of(System.getProperty("java.home"), "bin", "java") + "'");
        cmd.add("'" + JvmFlags.ARG_FILE + "'");
        cmd.add("-cp '" + System.getProperty("java.class.path") + "' io.evasan.deploy.Appliance --data-dir '" + data
                + "' --iscsi-port 0 --mgmt-port 0 --first-lun-size 16777216");
        String out = bash(String.join(" ", cmd) + " > '" + log + "' 2>&1 &\necho $!\n").strip();
        ProcessHandle h = ProcessHandle.of(Long.parseLong(out.lines().reduce((a, b) -> b).orElseThrow())).orElseThrow();
        try {
            String text = waitForLine(log, "evasan: running", h);
            assertTrue(text.contains("SIGINT is ignored by this process"), text);
            assertFalse(text.contains("Ctrl-C"), "does not promise Ctrl-C:\n" + text);
            signal(h.pid(), "TERM");
            h.onExit().get(90, TimeUnit.SECONDS);
            assertTrue(Files.readString(log).contains("evasan: stopped"), Files.readString(log));
        } finally {
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
    }
}
