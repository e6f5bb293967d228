package io.evasan.nsc.cell.mirror;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cache.CacheStats;
import io.evasan.nsc.cache.impl.MemoryDestageTarget;
import io.evasan.nsc.cache.impl.MirrorReplica;
import io.evasan.nsc.cache.impl.WriteBackCache;
import io.evasan.nsc.cell.heartbeat.LinkSwitch;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.Test;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.evasan.nsc.cell.mirror.EventBusMirrorChannelTest.CACHE;
import static io.evasan.nsc.cell.mirror.EventBusMirrorChannelTest.LUN_BYTES;
import static io.evasan.nsc.cell.mirror.EventBusMirrorChannelTest.assertTakeOverHoldsEveryWrite;
import static io.evasan.nsc.cell.mirror.EventBusMirrorChannelTest.target;
import static io.evasan.nsc.cell.mirror.EventBusMirrorChannelTest.writeAndCheck;
import static io.evasan.nsc.cell.mirror.EventBusMirrorChannelTest.writeConcurrently;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cache mirror over the CLUSTERED event bus: two Vert.x instances in this JVM, clustered with Hazelcast on
 * loopback (TCP-IP join to 127.0.0.1, no multicast, no phone-home), controller A's cache mirrored to B's replica;
 * a one-way block on A's LinkSwitch is ridden out; once B leaves the cluster, A's channel reports the partner lost
 * after its timeouts in a row and A's writes go on unmirrored.
 */
class EventBusMirrorClusterTest {

    static Future<Vertx> clustered(String clusterName) {
        Config hz = ConfigUtil.loadConfig();   // keeps the __vertx.* map definitions
        hz.setClusterName(clusterName);
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        hz.setProperty("hazelcast.wait.seconds.before.join", "1");
        hz.setProperty("hazelcast.logging.type", "jdk");
        NetworkConfig net = hz.getNetworkConfig();
        net.setPort(5701).setPortAutoIncrement(true);
        net.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1");
        VertxOptions options = new VertxOptions().setEventBusOptions(
                new EventBusOptions().setHost("127.0.0.1").setClusterPublicHost("127.0.0.1").setPort(0));
        return Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hz)).buildClustered();
    }

    @Test
    void shouldMirrorBetweenTwoClusteredVertxInstancesAndGoUnmirroredWhenThePartnerLeaves() throws Exception {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("EventBusMirrorClusterTest seed=" + seed + " (-Devasan.seed=" + seed + ")");
        String cluster = "evasan-mirror-" + UUID.randomUUID();
        long t0 = System.nanoTime();
        Vertx a = clustered(cluster).await();
        Vertx b = clustered(cluster).await();
        System.out.println("EventBusMirrorClusterTest: two members up in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        boolean bClosed = false;
        try {
            LinkSwitch switchA = LinkSwitch.install(a);   // one switch per node: it sees what A sends
            EventBusMirrorChannelTest.Mirror mirror = EventBusMirrorChannelTest.Mirror.aToB(a, b,
                    MirrorOptions.defaults("A", "B").withTimeout(100, 10));
            MirrorReplica replica = mirror.replica();
            MirrorStats stats = mirror.stats();
            MemoryDestageTarget mem = target(2);
            byte[][] oracle = new byte[2][LUN_BYTES];
            try (EventBusMirrorChannel channel = mirror.channel();   // B's endpoint goes with B
                 WriteBackCache cache = new WriteBackCache(new CacheConfig().mirror(channel).mirrorWindow(16), mem, mem,
                         new CacheStats("mirror-cluster"))) {
                cache.pauseDestage();
                writeConcurrently(cache, replica, oracle, seed, 100);

                switchA.block("A", "B");   // frames lost on the way: the write waits, then goes through
                CompletableFuture<String> held = CompletableFuture.supplyAsync(
                        () -> writeAndCheck(cache, replica, oracle[0], 0, seed + 1, 1));
                Thread.sleep(250);
                assertFalse(held.isDone(), "not acknowledged while A's frames are dropped");
                switchA.heal();
                assertNull(held.get(10, TimeUnit.SECONDS));
                assertTrue(stats.resends() > 0);
                assertTakeOverHoldsEveryWrite(cache, replica, mem, oracle, seed);
                System.out.println("EventBusMirrorClusterTest: " + replica.lastMirrorSeq() + " messages in " + stats.frames()
                        + " frames; mirror latency p50/p99 (ns) "
                        + java.util.Arrays.toString(stats.latency().takeSnapshot().percentileValues()));

                // B leaves the cluster: no endpoint answers any more, A gives its partner up and goes on alone
                b.close().await();
                bClosed = true;
                long lost = System.nanoTime();
                assertNull(writeAndCheck(cache, null, oracle[1], 1, seed + 2, 20));
                String why = cache.mirrorLost();
                assertNotNull(why);
                assertTrue(why.contains("10 frames in a row"), why);
                System.out.println("EventBusMirrorClusterTest: partner lost in " + (System.nanoTime() - lost) / 1_000_000
                        + " ms: " + why);
                cache.resumeDestage();
                cache.synchronizeAll();
                for (int l = 0; l < 2; l++) {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(oracle[l], mem.contents(l), "LUN " + l);
                }
                assertTrue(stats.isLost());
            }
        } finally {
            a.close().await();
            if (!bClosed) {
                b.close().await();
            }
        }
    }
}
