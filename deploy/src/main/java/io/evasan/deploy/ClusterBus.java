package io.evasan.deploy;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.concurrent.TimeUnit;

/**
 * The clustered event bus of the cell's processes: Vert.x over Hazelcast, on {@code host} only (loopback by
 * default), members found by TCP (no multicast), Hazelcast's own failure detection shortened (the pair's heartbeat
 * decides takeovers; shared/notes/dependencies.md has the measurements behind these settings).
 */
final class ClusterBus {
    /** Hazelcast's banner and membership chatter stay out of the controller's output (held: JUL keeps weak refs). */
    private static final java.util.logging.Logger HAZELCAST = java.util.logging.Logger.getLogger("com.hazelcast");

    private ClusterBus() {
    }

    static Vertx start(String clusterName, String host) throws Exception {
        HAZELCAST.setLevel(java.util.logging.Level.WARNING);
        Config hz = ConfigUtil.loadConfig();   // keeps the __vertx.* map definitions
        hz.setClusterName(clusterName);
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        hz.setProperty("hazelcast.wait.seconds.before.join", "1");
        hz.setProperty("hazelcast.logging.type", "jdk");
        hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        // membership only routes the bus: the pair's own heartbeat and lease decide failures, so Hazelcast must not
        // drop a member that a loaded machine delays (that splits the bus under the pair); a killed member's
        // connection closes at once anyway
        hz.setProperty("hazelcast.max.no.heartbeat.seconds", "30");
        NetworkConfig net = hz.getNetworkConfig();
        net.setPort(5701).setPortAutoIncrement(true);
        net.getInterfaces().setEnabled(true).addInterface(host);
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).addMember(host);
        VertxOptions options = new VertxOptions().setEventBusOptions(
                new EventBusOptions().setHost(host).setClusterPublicHost(host).setPort(0));
        return Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hz)).buildClustered()
                .await(60, TimeUnit.SECONDS);
    }
}
