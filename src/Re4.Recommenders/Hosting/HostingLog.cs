using Microsoft.Extensions.Logging;

namespace Re4.Recommenders.Hosting;

/// <summary>The serving facade's log messages (source-generated, like the trainer's).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(EventId = 101, EventName = "ModelLoaded", Level = LogLevel.Information,
        Message = "Serving {Model} v{Version} (K = {K}, d = {D}) with {Items} items from {Path} on {Device}")]
    public static partial void ModelLoaded(ILogger logger, string model, int version, int k, int d, int items, string path, string device);

    [LoggerMessage(EventId = 102, EventName = "ReloadFailed", Level = LogLevel.Error,
        Message = "Reloading from {Path} failed; still serving v{Version}")]
    public static partial void ReloadFailed(ILogger logger, Exception exception, string path, int version);

    [LoggerMessage(EventId = 103, EventName = "ModelRetired", Level = LogLevel.Information,
        Message = "Freed {Model} v{Version}: no request uses it any more")]
    public static partial void ModelRetired(ILogger logger, string model, int version);
}
