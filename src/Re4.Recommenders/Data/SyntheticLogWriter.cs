using System.Buffers.Text;

namespace Re4.Recommenders.Data;

/// <summary>
/// Streams a planted-interest interaction log to ComiRec's CSV (<c>user_id,item_id,timestamp</c>, no header) without
/// holding it in memory: catalogue-scale test data (<see cref="SyntheticDataOptions.TaobaoShape"/>: 85 M lines, about
/// 2 GB) written with a few megabytes. Each user's sequence follows the process of <see cref="PlantedInterestGenerator"/>
/// (planted topics, stickiness, popularity within a topic, uniform noise); the random stream differs from
/// <see cref="PlantedInterestGenerator.Generate"/>'s, so the same seed gives other sequences of the same law.
/// </summary>
/// <remarks>Like a real log, lines are in time order, not grouped by user: users are generated in blocks of
/// <see cref="BlockUsers"/>, each user starting at a random second of a <see cref="TimeSpanSeconds"/>-long window after
/// <see cref="FirstTimestamp"/>, and a block's interactions are written sorted by time (ties in generation order).
/// Gaps between a user's interactions are 0 (a tie) with probability 1/4, else 1 to <see cref="MaxGapSeconds"/> seconds,
/// so loading the file back gives each user the generated sequence. Original user ids are 1..U, item ids 1..N.
/// Deterministic for a seed.</remarks>
public static class SyntheticLogWriter
{
    /// <summary>Users generated, then written in time order, together.</summary>
    public const int BlockUsers = 4096;

    /// <summary>The first timestamp: 2017-11-25 00:00 UTC in Unix seconds, the first day of Taobao's log.</summary>
    public const long FirstTimestamp = 1_511_539_200;

    /// <summary>The window users start in: nine days, as Taobao's log.</summary>
    public const int TimeSpanSeconds = 9 * 86_400;

    /// <summary>The longest gap between two interactions of a user.</summary>
    public const int MaxGapSeconds = 600;

    private const int OrderBits = 20;   // a block holds at most BlockUsers · MaxLength interactions, checked below

    /// <summary>Writes the log to <paramref name="path"/> (through a temporary sibling, renamed at the end).</summary>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <param name="options">Sizes and the planted process; default <see cref="SyntheticDataOptions"/>'s defaults.</param>
    /// <param name="progress">Receives the number of lines written so far, once per block.</param>
    /// <param name="cancellationToken">Checked once per block; a cancelled write leaves no file behind.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it).</exception>
    public static SyntheticLogSummary Write(string path, SyntheticDataOptions? options = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new SyntheticDataOptions();
        Check(options);
        var temp = path + ".tmp";
        try
        {
            SyntheticLogSummary summary;
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                summary = Write(stream, options, progress, cancellationToken);
            File.Move(temp, path, overwrite: true);
            return summary;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Writes the log to <paramref name="stream"/> (left open).</summary>
    /// <param name="stream">Where the UTF-8 lines go.</param>
    /// <param name="options">Sizes and the planted process; default <see cref="SyntheticDataOptions"/>'s defaults.</param>
    /// <param name="progress">Receives the number of lines written so far, once per block.</param>
    /// <param name="cancellationToken">Checked once per block.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it).</exception>
    public static SyntheticLogSummary Write(Stream stream, SyntheticDataOptions? options = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= new SyntheticDataOptions();
        Check(options);
        var rng = new Random(options.Seed);
        var seen = new bool[options.Items + 1];
        var blockCapacity = BlockUsers * options.MaxLength;
        var users = new int[blockCapacity];     // per generated interaction of the block: original user id
        var items = new int[blockCapacity];     //   original item id
        var keys = new long[blockCapacity];     //   (seconds after FirstTimestamp) << OrderBits | position in the block
        Span<int> topics = new int[options.MaxTopicsPerUser];
        Span<double> weights = new double[options.MaxTopicsPerUser];
        var buffer = new byte[1 << 20];
        var used = 0;
        long lines = 0, bytes = 0;
        var distinct = 0;
        for (var first = 1; first <= options.Users; first += BlockUsers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = 0;
            var last = Math.Min(options.Users, first + BlockUsers - 1);
            for (var user = first; user <= last; user++)
            {
                var length = rng.Next(options.MinLength, options.MaxLength + 1);
                var topicCount = rng.Next(options.MinTopicsPerUser, options.MaxTopicsPerUser + 1);
                PlantedInterestGenerator.PickDistinct(rng, options.Topics, topics[..topicCount]);
                var total = 0.0;
                for (var t = 0; t < topicCount; t++) total += weights[t] = 0.2 + rng.NextDouble();
                long time = rng.Next(TimeSpanSeconds);
                var lastTopic = -1;
                for (var p = 0; p < length; p++)
                {
                    int item;
                    if (rng.NextDouble() < options.Noise)
                    {
                        item = rng.Next(options.Items) + 1;
                    }
                    else
                    {
                        var topic = lastTopic >= 0 && rng.NextDouble() < options.Stickiness ? lastTopic : topics[PlantedInterestGenerator.Draw(rng, weights[..topicCount], total)];
                        lastTopic = topic;
                        item = PlantedInterestGenerator.ItemOfTopic(rng, topic, options);
                    }

                    if (p > 0 && rng.Next(4) != 0) time += rng.Next(1, MaxGapSeconds + 1);
                    users[count] = user;
                    items[count] = item;
                    keys[count] = (time << OrderBits) | (uint)count;
                    count++;
                    if (!seen[item])
                    {
                        seen[item] = true;
                        distinct++;
                    }
                }
            }

            // Time order across the block's users; equal seconds keep generation order (the position is the low bits).
            Array.Sort(keys, 0, count);
            for (var r = 0; r < count; r++)
            {
                var i = (int)(keys[r] & ((1 << OrderBits) - 1));
                if (buffer.Length - used < 64)
                {
                    stream.Write(buffer, 0, used);
                    bytes += used;
                    used = 0;
                }

                used += Format(users[i], buffer.AsSpan(used));
                buffer[used++] = (byte)',';
                used += Format(items[i], buffer.AsSpan(used));
                buffer[used++] = (byte)',';
                used += Format(FirstTimestamp + (keys[r] >> OrderBits), buffer.AsSpan(used));
                buffer[used++] = (byte)'\n';
            }

            lines += count;
            progress?.Report(lines);
        }

        stream.Write(buffer, 0, used);
        bytes += used;
        stream.Flush();
        return new SyntheticLogSummary(lines, options.Users, distinct, bytes);
    }

    private static int Format(long value, Span<byte> destination)
    {
        Utf8Formatter.TryFormat(value, destination, out var written);
        return written;
    }

    private static void Check(SyntheticDataOptions options)
    {
        options.Validate();
        if ((long)BlockUsers * options.MaxLength > 1 << OrderBits)
            throw new ArgumentOutOfRangeException(nameof(options.MaxLength), options.MaxLength, $"MaxLength must be at most {(1 << OrderBits) / BlockUsers} for the streamed log.");
    }
}
