package io.evasan.e2e;

import org.junit.jupiter.api.Assumptions;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/** Runs the real user-space initiators (libiscsi tools, qemu-io/qemu-img) and collects their output. */
final class Clients {
    private Clients() {
    }

    /** Output lines and exit code of a finished client. */
    record Result(int exitCode, List<String> lines) {
        long count(String prefix) {
            return lines.stream().filter(l -> l.startsWith(prefix)).count();
        }

        boolean mentions(String text) {
            return lines.stream().anyMatch(l -> l.contains(text));
        }

        @Override
        public String toString() {
            return "exit " + exitCode + ":\n  " + String.join("\n  ", lines);
        }
    }

    /** Skips locally, fails in CI (CI=true), when a client binary is missing. */
    static void require(String... binaries) {
        for (String b : binaries) {
            boolean found = false;
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                if (Files.isExecutable(Path.of(dir, b))) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                if ("true".equals(System.getenv("CI"))) {
                    fail(b + " is not installed: .ci/run installs libiscsi-bin, qemu-utils and qemu-block-extra");
                }
                Assumptions.abort(b + " is not installed (apt-get install libiscsi-bin qemu-utils qemu-block-extra)");
            }
        }
    }

    static Result run(long timeoutSeconds, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    synchronized (lines) {
                        lines.add(l);
                    }
                }
            } catch (IOException ignored) {
                // process gone
            }
        });
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
        }
        reader.join(5000);
        synchronized (lines) {
            return new Result(p.exitValue(), new ArrayList<>(lines));
        }
    }

    /** qemu-io on an iscsi:// URL with each {@code -c} command. */
    static Result qemuIo(String url, List<String> commands) throws IOException, InterruptedException {
        return qemuIo(url, commands, false);
    }

    /** qemu-io, opening the device read-only when {@code readOnly} (a write-protected LUN refuses read-write opens). */
    static Result qemuIo(String url, List<String> commands, boolean readOnly) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("stdbuf", "-oL", "qemu-io", "-f", "raw"));
        if (readOnly) {
            cmd.add("-r");
        }
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(url);
        return run(300, cmd);
    }
}
