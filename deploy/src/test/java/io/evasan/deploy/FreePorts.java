package io.evasan.deploy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Loopback ports free at the moment of asking, for tests that must name ports up front (the clustered cell's four
 * portals are one block: A1, A2, B1, B2). Shared with the end-to-end tests through this module's test jar. A port
 * found free may be taken before it is bound: callers retry or accept that rare race.
 */
public final class FreePorts {
    private FreePorts() {
    }

    /** The first of {@code n} consecutive ports free on loopback now (tried by binding each). */
    public static int freePortBlock(int n) throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int first = freePort();
            if (first + n > 65535) {
                continue;
            }
            boolean free = true;
            for (int p = first + 1; p < first + n && free; p++) {
                try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                    free = s.getLocalPort() == p;
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return first;
            }
        }
        throw new IOException("no " + n + " consecutive free ports on loopback");
    }

    /** A port free on loopback now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
