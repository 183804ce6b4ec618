using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace WikiSessions.Core.Data;

/// <summary>Stores a <see cref="DateTimeOffset"/> as UTC ticks.</summary>
public sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
    v => v.UtcTicks,
    v => new DateTimeOffset(v, TimeSpan.Zero));
