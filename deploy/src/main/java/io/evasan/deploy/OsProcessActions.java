package io.evasan.deploy;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.NscId;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link ProcessActions} on this machine's processes, as {@code deploy/cell.sh drill} acts: {@code kill -SIG pid},
 * {@link Runtime#halt} for this process's own SIGKILL, a detached {@code sh -c 'sleep; kill -CONT'} before its own
 * SIGSTOP, the partition file ({@link PartitionDrill}) and, to start a controller again, this process's own command
 * line with {@code --nsc} naming it (output {@code DATA_DIR/nsc-x.out}, pid in {@code DATA_DIR/nsc-x.pid}, as cell.sh
 * writes them). Invariant: a failed signal or start throws, naming the command and what it said.
 */
final class OsProcessActions implements ProcessActions {
    /** The exit status of this process's own SIGKILL drill (128 + 9, as a shell reports a SIGKILL). */
    static final int KILLED = 137;

    private final Path dataDir;

    OsProcessActions(Path dataDir) {
        this.dataDir = dataDir;
    }

    @Override
    public void signal(long pid, String signal) {
        run(List.of("kill", "-" + signal, Long.toString(pid)));
    }

    private static void run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String said = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new StorageException(ErrorCode.IO_ERROR, String.join(" ", cmd) + " failed: " + said);
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, String.join(" ", cmd) + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(ErrorCode.BUSY, String.join(" ", cmd) + " interrupted");
        }
    }

    @Override
    public void haltSelf() {
        System.out.flush();
        Runtime.getRuntime().halt(KILLED);
    }

    @Override
    public void stopSelf(long resumeAfterMillis) {
        long pid = ProcessHandle.current().pid();
        String secs = String.format(java.util.Locale.ROOT, "%.3f", resumeAfterMillis / 1000.0);
        try {
            // detached: its own session, so it outlives nothing of ours and is not stopped with us
            new ProcessBuilder("setsid", "sh", "-c", "sleep " + secs + "; kill -CONT " + pid)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot schedule the SIGCONT of " + pid + ": "
                    + e.getMessage(), e);
        }
        signal(pid, "STOP");
    }

    @Override
    public void cutBus(long millis) {
        try {
            PartitionDrill.cut(dataDir.resolve("cell"), millis, System.currentTimeMillis());
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot write the partition file: " + e.getMessage(), e);
        }
    }

    @Override
    public long start(NscId nsc) {
        List<String> own = ownCommandLine();
        if (own.size() < 2) {
            throw new StorageException(ErrorCode.INVALID_STATE, "this process's command line is not known: start "
                    + "controller " + nsc + " with deploy/cell.sh drill start " + nsc);
        }
        String java = ProcessHandle.current().info().command().orElse(own.get(0));
        List<String> cmd = command(java, own.subList(1, own.size()), nsc);
        String name = "nsc-" + nsc.name().toLowerCase();
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dataDir.resolve(name + ".out").toFile()).start();
            Files.writeString(dataDir.resolve(name + ".pid"), p.pid() + "\n");
            return p.pid();
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot start controller " + nsc + ": " + e.getMessage(), e);
        }
    }

    /**
     * This process's whole command line: {@code /proc/self/cmdline} (the JDK's {@link ProcessHandle.Info#arguments}
     * gives none for a long one, such as a test's class path), else what the JDK knows; empty when neither does.
     */
    private static List<String> ownCommandLine() {
        try {
            byte[] b = Files.readAllBytes(Path.of("/proc/self/cmdline"));
            List<String> out = new ArrayList<>();
            int from = 0;
            for (int i = 0; i < b.length; i++) {
                if (b[i] == 0) {
                    out.add(new String(b, from, i - from, java.nio.charset.StandardCharsets.UTF_8));
                    from = i + 1;
                }
            }
            if (!out.isEmpty()) {
                return out;
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not Linux: what the JDK knows
        }
        ProcessHandle.Info info = ProcessHandle.current().info();
        List<String> out = new ArrayList<>();
        info.command().ifPresent(out::add);
        info.arguments().ifPresent(a -> out.addAll(List.of(a)));
        return out;
    }

    /** {@code args} of {@code java} with the controller named {@code nsc} ({@code --nsc X} or {@code --nsc=X}). */
    static List<String> command(String java, List<String> args, NscId nsc) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        boolean named = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--nsc") && i + 1 < args.size()) {
                cmd.add(a);
                cmd.add(nsc.name());
                i++;
                named = true;
            } else if (a.startsWith("--nsc=")) {
                cmd.add("--nsc=" + nsc.name());
                named = true;
            } else {
                cmd.add(a);
            }
        }
        if (!named) {
            throw new StorageException(ErrorCode.INVALID_STATE, "this process's command line names no --nsc: start "
                    + "controller " + nsc + " with deploy/cell.sh drill start " + nsc);
        }
        return cmd;
    }
}
