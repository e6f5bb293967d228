package io.evasan.raid;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kill -9 harness sees every line a child wrote before SIGKILL, even lines the parent had not read yet
 * when it killed the child (the interleaving behind the SharingCrashTest failures, sharing-tree/CRASH-DEFECT.md), also when
 * the kill comes from inside {@link ChildJvm#follow}. The child signals through a marker file, so the parent
 * reads none of the child's output before the kill.
 */
class ChildJvmTest {
    static final int LINES = 500;

    @TempDir
    Path dir;

    /** Child: prints LINES lines (each flushed, like the crash children's ACKs), then a marker file, then waits. */
    public static final class LinePrinter {
        public static void main(String[] args) throws Exception {
            for (int i = 0; i < LINES; i++) {
                System.out.println("ACK WRITE " + i);
                System.out.flush();
            }
            Files.writeString(Path.of(args[0]), "done");
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    private ChildJvm.Builder printer(Path marker) {
        return ChildJvm.of(LinePrinter.class).heap("32m").args(marker.toString());
    }

    private static void await(Path marker) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(marker) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(marker), "child did not finish printing");
    }

    @Test
    void shouldCollectEveryLineTheChildWroteBeforeKill9() throws Exception {
        Path marker = dir.resolve("marker");
        try (ChildJvm child = printer(marker).output(dir.resolve("child.out")).start()) {
            await(marker);
            List<String> lines = child.killAndCollect();
            assertFalse(child.isAlive());
            assertEquals(LINES, lines.size(), "lines seen after the kill");
            assertEquals("ACK WRITE " + (LINES - 1), lines.get(LINES - 1));
        }
        assertTrue(Files.exists(dir.resolve("child.out")), "a named output file is kept");
    }

    @Test
    void shouldFollowEveryLineOnceInOrderWhenTheHandlerKillsTheChild() throws Exception {
        Path marker = dir.resolve("marker");
        List<String> got = new ArrayList<>();
        Path out;
        try (ChildJvm child = printer(marker).start()) {
            out = child.output();
            child.follow(l -> {
                got.add(l);
                if (got.size() == 1) {
                    await(marker);   // the child has written all its lines; the parent has handled one
                    child.kill9();
                }
            });
        }
        assertEquals(LINES, got.size(), "lines followed after a kill from the handler");
        for (int i = 0; i < LINES; i++) {
            assertEquals("ACK WRITE " + i, got.get(i));
        }
        assertFalse(Files.exists(out), "a temporary output file is deleted on close");
    }

    @Test
    void shouldStartTheChildWithTheSharedJvmFlags() {
        List<String> cmd = ChildJvm.of(LinePrinter.class).heap("64m").jvmArgs("-Dx=y").args("a").command();
        List<String> expected = new java.util.ArrayList<>(List.of("-Xmx64m", JvmFlags.ARG_FILE));
        String perf = System.getProperty("evasan.perf.history");
        if (perf != null) {   // the build's test JVMs pass their history mode on (see the root pom's argLine)
            expected.add("-Devasan.perf.history=" + perf);
        }
        expected.addAll(List.of("-Dx=y", "-cp", System.getProperty("java.class.path"), LinePrinter.class.getName(), "a"));
        assertEquals(expected, cmd.subList(1, cmd.size()));
    }

    /**
     * Why the harness uses a file: reading the stdout PIPE after {@link Process#destroyForcibly()} (the old
     * harnesses, whose reader could lag behind the child) loses what was not read before the kill, because
     * destroyForcibly closes the parent's end of the pipe. This characterises the JDK behaviour the harness
     * works around.
     */
    @Test
    void shouldLoseUnreadPipeOutputOnDestroyForcibly() throws Exception {
        Path marker = dir.resolve("marker");
        Process p = new ProcessBuilder(printer(marker).command()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        await(marker);
        p.destroyForcibly();
        p.waitFor(60, TimeUnit.SECONDS);
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                lines.add(l);
            }
        } catch (IOException e) {
            // "Stream closed": the unread output is gone
        }
        System.out.println("pipe read after destroyForcibly: " + lines.size() + " of " + LINES + " lines");
        assertTrue(lines.size() < LINES, "the pipe kept all " + LINES + " lines");
    }
}
