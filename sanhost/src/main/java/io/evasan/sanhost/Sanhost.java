package io.evasan.sanhost;

import io.evasan.fabric.switching.Wwn;
import io.evasan.sanhost.nbd.NbdServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code sanhost}: a host on the simulated FC fabric. Each {@code --wwpn} is an HBA (an N_Port on
 * its own TCP link to the switch's listener); every LU found is exported over NBD on loopback;
 * {@code sanhost paths} asks a running sanhost (its control port) for the multipath view.
 */
@Command(name = "sanhost", mixinStandardHelpOptions = true, subcommands = Sanhost.Paths.class,
        description = "Multipath FC host: HBAs on the fabric, ALUA path choice, failover, LUNs exported over NBD.")
public final class Sanhost implements Callable<Integer>, AutoCloseable {
    @Option(names = "--fabric", description = "the switch's TCP listener, HOST:PORT")
    String fabric;

    @Option(names = "--wwpn", description = "an HBA's WWPN (xx:xx:..:xx or 16 hex digits); repeat for more HBAs")
    List<String> wwpns = new ArrayList<>();

    @Option(names = "--nbd-port", defaultValue = "10809", description = "NBD port on 127.0.0.1 (0 = any; default ${DEFAULT-VALUE})")
    int nbdPort;

    @Option(names = "--control-port", description = "control port on 127.0.0.1 for `sanhost paths` (default: NBD port + 1; 0 = any)")
    Integer controlPort;

    @Option(names = "--io-timeout-ms", defaultValue = "3000", description = "a command or exchange without answer fails its path after this")
    long ioTimeoutMs;

    @Option(names = "--failover-window-ms", defaultValue = "60000", description = "how long a command waits for any path before EIO")
    long failoverWindowMs;

    private Multipath multipath;
    private NbdServer nbd;
    private ServerSocket control;
    private final CountDownLatch stopped = new CountDownLatch(1);

    public static void main(String[] args) {
        System.exit(new CommandLine(new Sanhost()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (fabric == null || wwpns.isEmpty()) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--fabric and at least one --wwpn are required");
        }
        start();
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "sanhost-stop"));
        stopped.await();
        return 0;
    }

    /** Connects the HBAs, discovers, and opens the NBD and control ports; returns when ready. */
    public void start() throws IOException {
        String[] hp = fabric.split(":");
        InetSocketAddress at = new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
        Duration timeout = Duration.ofMillis(ioTimeoutMs);
        List<Hba> hbas = new ArrayList<>();
        for (int i = 0; i < wwpns.size(); i++) {
            hbas.add(new Hba("hba" + i, parseWwpn(wwpns.get(i)), at, timeout));
        }
        multipath = new Multipath(hbas, Duration.ofMillis(failoverWindowMs));
        multipath.start();
        nbd = new NbdServer(multipath, nbdPort);
        control = new ServerSocket();
        control.setReuseAddress(true);
        control.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                controlPort != null ? controlPort : nbdPort == 0 ? 0 : nbdPort + 1));
        Thread t = new Thread(this::controlLoop, "sanhost-control");
        t.setDaemon(true);
        t.start();
        System.out.println("sanhost: nbd on 127.0.0.1:" + nbd.port() + " control on 127.0.0.1:" + control.getLocalPort()
                + " exports " + multipath.names());
        System.out.println("sanhost: ready");
        System.out.flush();
    }

    static long parseWwpn(String s) {
        return s.contains(":") ? Wwn.parse(s) : Long.parseUnsignedLong(s, 16);
    }

    public int nbdPort() {
        return nbd.port();
    }

    public int controlPort() {
        return control.getLocalPort();
    }

    /** The multipath view (what {@code sanhost paths} prints). */
    public String paths() {
        return multipath.render("nbd://127.0.0.1:" + nbd.port());
    }

    Multipath multipath() {
        return multipath;
    }

    NbdServer nbd() {
        return nbd;
    }

    private void controlLoop() {
        while (!control.isClosed()) {
            try (Socket s = control.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                String cmd = in.readLine();
                OutputStream out = s.getOutputStream();
                String answer;
                if ("paths".equals(cmd)) {
                    answer = paths();
                } else if ("events".equals(cmd)) {
                    answer = multipath.events();
                } else if ("stop".equals(cmd)) {
                    answer = "stopping\n";
                    stopped.countDown();
                } else {
                    answer = "unknown command " + cmd + " (paths, events, stop)\n";
                }
                out.write(answer.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                // next client
            }
        }
    }

    @Override
    public void close() {
        stopped.countDown();
        try {
            if (control != null) {
                control.close();
            }
        } catch (IOException e) {
            // closing anyway
        }
        if (nbd != null) {
            nbd.close();
        }
        if (multipath != null) {
            multipath.close();
        }
    }

    /** {@code sanhost paths}: the multipath view of a running sanhost. */
    @Command(name = "paths", mixinStandardHelpOptions = true,
            description = "Shows every LU of a running sanhost with its paths and their states (like multipath -ll).")
    static final class Paths implements Callable<Integer> {
        @Option(names = "--control-port", required = true, description = "the running sanhost's control port")
        int controlPort;

        @Option(names = "--events", description = "print the discovery and failover log instead")
        boolean events;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            out.print(ask(controlPort, events ? "events" : "paths"));
            out.flush();
            return 0;
        }
    }

    /** Sends one control command to a sanhost on loopback and returns its answer. */
    public static String ask(int controlPort, String command) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), controlPort)) {
            s.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
