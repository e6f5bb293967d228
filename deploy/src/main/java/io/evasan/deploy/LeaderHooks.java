package io.evasan.deploy;

import io.evasan.nsc.cache.impl.MirrorReplica;
import io.evasan.nsc.cell.pair.MirrorHost;
import io.evasan.raid.Pool;

import java.util.List;
import java.util.function.Consumer;

/**
 * How the clustered cell's leader process opens the appliance: on the clustered bus {@code vertx}, its caches
 * mirrored into the partner process ({@code host}); {@code poolOpened} runs once the pool is open and before
 * anything above it writes (the leader claims the quorum lease there); {@code takeover}: it replaces a dead leader,
 * whose logs are set aside and whose acknowledged writes come from {@code replicas}; the portals bind at
 * {@code bindPorts} (A1, A2, B1, B2; 0 = a free internal port) and are advertised at {@code publicPorts}; {@code faults}: how the management API's drills act on the controller processes.
 */
record LeaderHooks(io.vertx.core.Vertx vertx, MirrorHost host, boolean takeover, List<MirrorReplica> replicas,
                   Consumer<Pool> poolOpened, int[] bindPorts, int[] publicPorts,
                   io.evasan.nsc.cell.drill.ControllerFaults faults) {
}
