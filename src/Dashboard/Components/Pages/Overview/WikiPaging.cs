using MudBlazor;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;

namespace WikiSessions.Dashboard.Components.Pages.Overview;

/// <summary>Search, sort and page the farm's wikis for the overview grid.</summary>
public static class WikiPaging
{
    public static GridData<WikiOverview> Page(IReadOnlyList<WikiOverview> wikis, string? search, GridState<WikiOverview> state)
    {
        IEnumerable<WikiOverview> rows = wikis;
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim();
            rows = rows.Where(w => w.Wiki.Contains(term, StringComparison.OrdinalIgnoreCase)
                || w.Host.Contains(term, StringComparison.OrdinalIgnoreCase) || WireNames.TryParse<DeploymentGroup>(term, out var group) && w.Group == group);
        }
        var sort = state.SortDefinitions.FirstOrDefault();
        IOrderedEnumerable<WikiOverview> ordered = sort?.SortBy switch
        {
            nameof(WikiOverview.Host) => Order(rows, w => w.Host, sort.Descending),
            nameof(WikiOverview.Group) => Order(rows, w => w.Group, sort.Descending),
            // Alphabetical, as the column reads (closed, open, private).
            nameof(WikiOverview.Status) => Order(rows, w => WireNames.Of(w.Status), sort.Descending),
            nameof(WikiOverview.ActiveSessions) => Order(rows, w => w.ActiveSessions, sort.Descending),
            nameof(WikiOverview.Wiki) => Order(rows, w => w.Wiki, sort.Descending),
            // Busiest first unless the user sorts: that is what an operator scans for.
            _ => rows.OrderByDescending(w => w.ActiveSessions),
        };
        var list = ordered.ThenBy(w => w.Wiki, StringComparer.Ordinal).ToList();
        return new GridData<WikiOverview>
        {
            TotalItems = list.Count,
            Items = list.Skip(state.Page * state.PageSize).Take(state.PageSize).ToList(),
        };
    }

    private static IOrderedEnumerable<WikiOverview> Order<TKey>(IEnumerable<WikiOverview> rows, Func<WikiOverview, TKey> key, bool descending) =>
        descending ? rows.OrderByDescending(key) : rows.OrderBy(key);
}
