package io.evasan.sharing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM of a kill -9 test whose standard output goes to a FILE, not a pipe.
 *
 * <p>Why: {@link Process#destroyForcibly()} (OpenJDK, Linux) sends SIGKILL and then closes the
 * parent's end of the child's stdout pipe at once, so every line the child had written but the
 * parent's reader thread had not yet read is dropped. A kill -9 test that builds its model of
 * acknowledged operations from a pipe therefore silently misses the last few operations whenever
 * the reader lags (a loaded machine), and then reports their (correct) data as corruption. That was
 * the "random data" failure of {@link SharingCrashTest} (see CRASH-DEFECT.md). A write(2) to a
 * regular file that returned before the SIGKILL is in the page cache and is read back in full.
 *
 * <p>Invariant: {@link #killAndCollect()} returns every complete line the child wrote before it
 * died; an unterminated last line (the kill landed inside the write of that line, so the child had
 * not returned from its flush) is dropped.
 */
final class CrashChildProcess {
    private final Process process;
    private final Path out;

    private CrashChildProcess(Process process, Path out) {
        this.process = process;
        this.out = out;
    }

    /** Starts {@code cmd} with stdout to {@code out} (created or truncated) and stderr inherited. */
    static CrashChildProcess start(List<String> cmd, Path out) throws IOException {
        Files.deleteIfExists(out);
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new CrashChildProcess(p, out);
    }

    /** Waits until the child has written the line {@code line}; false on timeout or if the child died. */
    boolean awaitLine(String line, long timeoutMillis) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (System.nanoTime() < deadline) {
            if (lines().contains(line)) {
                return true;
            }
            if (!process.isAlive()) {
                return lines().contains(line);
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Complete lines written so far. */
    List<String> lines() throws IOException {
        if (!Files.exists(out)) {
            return List.of();
        }
        String s = Files.readString(out, StandardCharsets.UTF_8);
        List<String> l = new ArrayList<>(List.of(s.split("\n", -1)));
        l.remove(l.size() - 1); // the text after the last '\n': empty, or a line cut by the kill
        return l;
    }

    /** SIGKILL, wait for the death, then every complete line the child wrote. */
    List<String> killAndCollect() throws IOException, InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("child " + process.pid() + " did not die after SIGKILL");
        }
        return lines();
    }

    Path outputFile() {
        return out;
    }
}
